import { createStatistics } from '../../../domain/management/statistics.js';
import { defineOperation, type ApiOperation } from '../api-operation.js';
import { confinedLab } from '../caller.js';
import type { ManagementDeps } from '../management-deps.js';
import { strictObject } from '../schemas.js';

const count = { type: 'integer', minimum: 0 } as const;

/** GET /statistics: counts for an operator's dashboard. */
export function createStatisticsOperations(deps: ManagementDeps): ApiOperation[] {
  const statistics = createStatistics({
    statistics: deps.repos.statistics, tokenCounts: deps.repos.tokenCounts, tokenIssuance: deps.tokenIssuance,
    sessions: deps.sessions,
  });
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
  ];
}
