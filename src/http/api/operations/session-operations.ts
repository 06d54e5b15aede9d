import type { AccountGrant } from '../../../domain/ports/grant-origin-repository.js';
import type { ListedSession } from '../../../domain/management/session-listing.js';
import { defineOperation, type ApiOperation } from '../api-operation.js';
import { confinedLab, originOf } from '../caller.js';
import type { Services } from '../../../services.js';
import { idSchema, strictObject, timestamp } from '../schemas.js';

// oidc-provider's ids are nanoids: they may start with `_` or `-`, which idSchema refuses.
const providerId = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,128}$' } as const;

const sessionSchema = strictObject({
  id: { type: 'string', description: 'The session\'s uid (not the value of its cookie).' },
  loginAt: timestamp,
  expiresAt: timestamp,
  clients: { type: 'array', items: { type: 'string' }, description: 'Clients authorised through this session.' },
}, ['id', 'loginAt', 'clients']);
const grantSchema = strictObject({
  id: { type: 'string' },
  clientId: { type: 'string' },
  createdAt: timestamp,
  lastUsedAt: { ...timestamp, description: 'When the newest token from this grant was issued.' },
  labId: { type: 'string', description: 'The lab the grant acts in.' },
  ip: { type: 'string', description: 'Where the grant was consented to.' },
  userAgent: { type: 'string' },
  expiresAt: timestamp,
}, ['id', 'clientId', 'createdAt', 'lastUsedAt']);

const userParams = strictObject({ userId: idSchema }, ['userId']);

const toSession = (s: ListedSession) => ({ id: s.id, loginAt: s.loginAt.toISOString(), expiresAt: s.expiresAt?.toISOString(), clients: s.clients });
const toGrant = (g: AccountGrant) => ({
  id: g.id, clientId: g.clientId, createdAt: g.createdAt.toISOString(), lastUsedAt: g.lastUsedAt.toISOString(),
  labId: g.labId, ip: g.ip, userAgent: g.userAgent, expiresAt: g.expiresAt?.toISOString(),
});

/**
 * /users/{userId}/sessions and /users/{userId}/grants: a user's browser sessions and the grants
 * (logins into applications, each with its refresh tokens) they hold, and ending them. Lab admins
 * reach only members of their lab, and only grants acting in it or in no lab.
 */
export function createSessionOperations({ sessions }: Pick<Services, 'sessions'>): ApiOperation[] {
  return [
    defineOperation<{ userId: string }>({
      operationId: 'listUserSessions', method: 'get', path: '/users/{userId}/sessions', tag: 'Sessions', summary: 'List a user\'s browser sessions and grants',
      description: 'Sessions newest login first; grants newest first, with where each was consented to (IP and user agent) and when a token was last issued from it. A lab admin sees the grants acting in their lab or in none.',
      access: { scope: 'users:read', labAdmin: true },
      params: userParams,
      responses: {
        200: {
          description: 'Sessions and grants.',
          schema: strictObject({ sessions: { type: 'array', items: sessionSchema }, grants: { type: 'array', items: grantSchema } }, ['sessions', 'grants']),
        },
        404: { description: 'No such user (or not a member of the lab admin\'s lab).' },
      },
      async handle({ caller, params }) {
        const found = await sessions.list(params.userId, confinedLab(caller));
        return { body: { sessions: found.sessions.map(toSession), grants: found.grants.map(toGrant) } };
      },
    }),
    defineOperation<{ userId: string; sessionId: string }>({
      operationId: 'endUserSession', method: 'delete', path: '/users/{userId}/sessions/{sessionId}', tag: 'Sessions', summary: 'End one browser session',
      description: 'The browser must sign in again; grants made through the session stay (revoke them separately).',
      access: { scope: 'users:write', labAdmin: true },
      params: strictObject({ userId: idSchema, sessionId: providerId }, ['userId', 'sessionId']),
      responses: { 204: { description: 'Ended.' }, 404: { description: 'No such user, or no such session of this user.' } },
      async handle(request) {
        await sessions.endSession(originOf(request), request.params.userId, request.params.sessionId, confinedLab(request.caller), request.caller.kind === 'platform_admin');
        return {};
      },
    }),
    defineOperation<{ userId: string }>({
      operationId: 'endAllUserSessions', method: 'delete', path: '/users/{userId}/sessions', tag: 'Sessions', summary: 'Sign a user out everywhere',
      description: 'Ends every browser session and revokes every grant: refresh tokens fail and access tokens introspect inactive. A lab admin revokes the grants acting in their lab or in none; those acting in another lab stay.',
      access: { scope: 'users:write', labAdmin: true },
      params: userParams,
      responses: { 204: { description: 'Ended.' }, 404: { description: 'No such user.' } },
      async handle(request) {
        await sessions.endAll(originOf(request), request.params.userId, confinedLab(request.caller), request.caller.kind === 'platform_admin');
        return {};
      },
    }),
    defineOperation<{ userId: string; grantId: string }>({
      operationId: 'revokeUserGrant', method: 'delete', path: '/users/{userId}/grants/{grantId}', tag: 'Sessions', summary: 'Revoke one grant',
      description: 'Its refresh tokens fail from now on and the access tokens minted from it introspect inactive.',
      access: { scope: 'users:write', labAdmin: true },
      params: strictObject({ userId: idSchema, grantId: providerId }, ['userId', 'grantId']),
      responses: { 204: { description: 'Revoked.' }, 404: { description: 'No such user, or no such grant of this user.' } },
      async handle(request) {
        await sessions.revokeGrant(originOf(request), request.params.userId, request.params.grantId, confinedLab(request.caller), request.caller.kind === 'platform_admin');
        return {};
      },
    }),
  ];
}
