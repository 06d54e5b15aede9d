import type { AccessTokenReader } from '../../oidc/access-token-reader.js';
import { ForbiddenError, UnauthorizedError } from '../../domain/errors.js';
import type { ApiOperation } from './api-operation.js';
import { actorOf, confinedLab, type Caller } from './caller.js';

export interface ApiAuthDeps {
  /** The access-token reader of the key set serving now. */
  tokens: () => AccessTokenReader;
  /** The management API's resource indicator: tokens must be minted for this audience. */
  audience: string;
}

const challenge = (audience: string, error?: string, description?: string, scope?: string) =>
  [`Bearer realm="${audience}"`, error && `error="${error}"`, description && `error_description="${description}"`, scope && `scope="${scope}"`]
    .filter(Boolean).join(', ');

/**
 * Establishes the caller from an `at+jwt` for the API's audience. User tokens (they carry the
 * grant they came from) act as a platform admin (the user's admin flag) or as the admin of the
 * lab the token acts in, checked live; client_credentials tokens act as a service. Every kind is
 * further limited by the token's scopes.
 */
export function createApiAuthenticator(deps: ApiAuthDeps) {
  const unauthorized = (description: string) => new UnauthorizedError(description, challenge(deps.audience, 'invalid_token', description));

  /** The caller a token stands for, without its token's bounds. */
  async function establish(authorization: string | undefined): Promise<{ caller: Caller; expiresAt: number }> {
    if (!authorization) throw new UnauthorizedError('a bearer token is required', challenge(deps.audience));
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(authorization);
    if (!match) throw unauthorized('the Authorization header must be "Bearer <token>"');
    const reader = deps.tokens();
    const claims = await reader.verify(match[1]!, deps.audience);
    if (!claims) throw unauthorized('the access token is invalid, expired or not for this API');
    // RFC 9449 §7.2: a DPoP-bound token must not be usable as a bearer token. The API takes
    // Bearer only, so its callers get unbound tokens (no DPoP proof at the token endpoint).
    if (claims.cnf?.jkt) throw unauthorized('the access token is DPoP-bound; the management API takes Bearer tokens only');
    const live = await reader.liveness(claims);
    if (!live.active) throw unauthorized('the access token is no longer active');
    const scopes = new Set((claims.scope ?? '').split(' ').filter(Boolean));

    const expiresAt = typeof claims.exp === 'number' ? claims.exp * 1000 : Date.now();
    if (!claims.grant_id) return { caller: { kind: 'service', clientId: String(claims.client_id), scopes }, expiresAt };
    // The user and membership the liveness check read decide the caller's kind too.
    const { user, acting } = live;
    if (!user) throw unauthorized('the access token is no longer active');
    if (user.isAdmin) return { caller: { kind: 'platform_admin', userId: user.id, scopes }, expiresAt };
    if (acting?.role === 'admin') return { caller: { kind: 'lab_admin', userId: user.id, labId: acting.labId, scopes }, expiresAt };
    throw new ForbiddenError('only platform admins and lab admins may use the management API', challenge(deps.audience, 'insufficient_scope', 'not an admin'));
  }

  /** The same caller (kind, user or client, lab) as before. */
  const sameCaller = (a: Caller, b: Caller) => a.kind === b.kind && actorOf(a) === actorOf(b) && confinedLab(a) === confinedLab(b);

  return {
    async authenticate(authorization: string | undefined): Promise<Caller> {
      const { caller, expiresAt } = await establish(authorization);
      const stillValid = async () => Date.now() < expiresAt && (await establish(authorization).then((again) => sameCaller(caller, again.caller), () => false));
      return { ...caller, token: { expiresAt, stillValid } };
    },

    /** The token's scopes must include the operation's, and lab admins only reach lab-admin operations. */
    authorize(caller: Caller, operation: ApiOperation): void {
      const { scope, labAdmin } = operation.access;
      if (!caller.scopes.has(scope)) {
        throw new ForbiddenError(`the access token lacks the scope ${scope}`, challenge(deps.audience, 'insufficient_scope', `requires ${scope}`, scope));
      }
      if (caller.kind === 'lab_admin' && !labAdmin) throw new ForbiddenError('this operation is for platform admins and services only');
    },
  };
}

export type ApiAuthenticator = ReturnType<typeof createApiAuthenticator>;
