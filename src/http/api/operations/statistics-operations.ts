import { defineOperation, type ApiOperation } from '../api-operation.js';
import { confinedLab } from '../caller.js';
import type { Services } from '../../../services.js';
import { strictObject, timestamp } from '../schemas.js';
import { ACTIVITY_PERIODS, type ActivityPeriod } from '../../../domain/management/activity.js';

const count = { type: 'integer', minimum: 0 } as const;

const seriesSchema = {
  type: 'array',
  description: 'One entry per client, with one count per bucket.',
  items: strictObject({ clientId: { type: 'string' }, counts: { type: 'array', items: count } }, ['clientId', 'counts']),
} as const;

/** GET /statistics: counts for an operator's dashboard. */
export function createStatisticsOperations({ statistics }: Pick<Services, 'statistics'>): ApiOperation[] {
  return [
    defineOperation({
      operationId: 'getStatistics', method: 'get', path: '/statistics', tag: 'Statistics', summary: 'Users, labs, active sessions and tokens issued',
      description: [
        'Token counts are per client over windows rounded out to whole hours (lastHour covers the current and the previous clock hour);',
        'each node adds its counts every few seconds, and a node that crashes loses at most those few seconds of counts.',
        'A lab admin gets their lab\'s numbers: its members (users), the lab itself (labs) and its members\' sessions;',
        'tokensIssued is left out for them, since clients are shared by every lab.',
      ].join(' '),
      access: { scope: 'audit:read', labAdmin: true },
      responses: {
        200: {
          description: 'The numbers.',
          schema: strictObject({
            users: strictObject({ total: count, active: count, blocked: count }, ['total', 'active', 'blocked']),
            labs: strictObject({ total: count, active: count, suspended: count }, ['total', 'active', 'suspended']),
            activeSessions: { ...count, description: 'Unexpired browser sessions.' },
            tokensIssued: {
              type: 'array',
              description: 'Access tokens issued per client (all grants: authorization code, refresh, client credentials), by client id.',
              items: strictObject({ clientId: { type: 'string' }, lastHour: count, lastDay: count, last30Days: count }, ['clientId', 'lastHour', 'lastDay', 'last30Days']),
            },
          }, ['users', 'labs', 'activeSessions']),
        },
      },
      async handle({ caller }) {
        return { body: await statistics.read(confinedLab(caller)) };
      },
    }),
    defineOperation<Record<string, never>, { period: ActivityPeriod }>({
      operationId: 'getActivity', method: 'get', path: '/statistics/activity', tag: 'Statistics', summary: 'Sign-ins and tokens issued per client over time',
      description: [
        'For charts: one count per hour (`24h`) or per UTC day (`7d`, `30d`), oldest first, the last bucket holding the current instant.',
        'Sign-ins are the audited `login.succeeded` entries (after any second factor), by the client the person signed in to;',
        'tokens are access tokens issued, as in `/statistics`. Clients with nothing in the period are left out; the busiest come first.',
        'Not for lab admins: clients are shared by every lab.',
      ].join(' '),
      access: { scope: 'audit:read' },
      query: strictObject({ period: { type: 'string', enum: Object.keys(ACTIVITY_PERIODS), default: '30d', description: '`24h` by hour, `7d` or `30d` by UTC day.' } }),
      responses: {
        200: {
          description: 'The series.',
          schema: strictObject({
            bucket: { type: 'string', enum: ['hour', 'day'] },
            buckets: { type: 'array', items: timestamp, description: 'The start of each bucket.' },
            signIns: seriesSchema,
            tokensIssued: seriesSchema,
          }, ['bucket', 'buckets', 'signIns', 'tokensIssued']),
        },
      },
      async handle({ query }) {
        const activity = await statistics.activity(query.period);
        return { body: { ...activity, buckets: activity.buckets.map((b) => b.toISOString()) } };
      },
    }),
  ];
}
