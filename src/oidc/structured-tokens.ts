import type Provider from 'oidc-provider';
import { StorageUnavailableError } from '../domain/errors.js';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { errors } from 'oidc-provider';

import type { AccessTokenClaims, AccessTokenReader, TokenLiveness } from './access-token-reader.js';
import type { LabAccess } from '../domain/tenancy/lab-access.js';
import type { AuditLog } from '../domain/audit/audit-log.js';
import { TemporarilyUnavailable } from './errors.js';
import { mayIntrospect, mayRevoke } from './token-policies.js';
import type { GrantRevoker } from './grant-revoker.js';
import type { RevocationList } from './revocation-list.js';

export interface StructuredTokenDeps {
  tokens: AccessTokenReader;
  /** Roles as they stand now: introspection drops the roles withdrawn since the token was issued. */
  labs: Pick<LabAccess, 'rolesOn'>;
  /** A service client's roles, cached per node as for minting (GATEHOUSE_CLIENT_CACHE_SECONDS): the hot path of services introspecting. */
  clientRoles: (clientId: string, audience: string) => Promise<string[]>;
  revocations: RevocationList;
  grants: GrantRevoker;
  audit: AuditLog;
}

const FLAG = Symbol('structuredToken');

/** The client asking, as oidc-provider authenticated it (its metadata holds the resources it serves). */
export type IntrospectingClient = Parameters<typeof mayIntrospect>[0];

export interface StructuredTokenAnswers {
  /** The RFC 7662 answer about one of Gatehouse's JWTs to an authenticated client. */
  introspection(client: IntrospectingClient, token: string): Promise<Record<string, unknown>>;
  /** Whether `token` is a JWT already verified here: a service introspects the same token on each of its requests. */
  isVerifiedJwt(token: string): boolean;
}

/**
 * Introspection (RFC 7662) and revocation (RFC 7009) of Gatehouse's own JWT access tokens.
 * oidc-provider authenticates the client and then refuses JWTs with unsupported_token_type;
 * this middleware notices that refusal and answers instead, so client authentication, body
 * parsing and error rendering stay oidc-provider's. The answers are returned too: the common
 * introspection is answered with them before oidc-provider (jwt-introspection-shortcut.ts).
 */
export function installStructuredTokenSupport(provider: Provider, deps: StructuredTokenDeps): StructuredTokenAnswers {
  const flag = (ctx: KoaContextWithOIDC, err: Error) => {
    if (err instanceof errors.UnsupportedTokenType && ctx.oidc?.client) (ctx.state as Record<symbol, boolean>)[FLAG] = true;
  };
  provider.on('introspection.error', flag);
  provider.on('revocation.error', flag);

  async function introspection(client: IntrospectingClient, token: string): Promise<Record<string, unknown>> {
    const claims = await deps.tokens.verify(token);
    const liveness = claims && mayIntrospect(client, claims.client_id, claims.aud) ? await deps.tokens.liveness(claims) : undefined;
    if (!claims || !liveness?.active) return { active: false };
    const { grant_id: _internal, ...visible } = { ...claims, ...(await presentRoles(claims, liveness)) };
    // A DPoP-bound JWT shows its binding (`cnf.jkt`, already a claim) and its scheme (RFC 9449 §6.2).
    return { ...visible, active: true, token_type: claims.cnf?.jkt ? 'DPoP' : 'Bearer' };
  }

  async function introspect(ctx: KoaContextWithOIDC): Promise<void> {
    const body = await introspection(ctx.oidc.client!, String(ctx.oidc.params!.token));
    ctx.status = 200;
    ctx.type = 'application/json; charset=utf-8';
    ctx.body = body;
  }

  /**
   * The token's roles that its principal still holds, and the lab role it has now: a role
   * withdrawn after issue is absent at once (nothing is added that the token did not carry).
   */
  async function presentRoles(claims: AccessTokenClaims, liveness: TokenLiveness & { active: true }): Promise<Partial<AccessTokenClaims>> {
    const audience = Array.isArray(claims.aud) ? claims.aud[0] : claims.aud;
    if (!Array.isArray(claims.roles) || !audience || !claims.sub) return {};
    // A user's token (it has a grant; an exchanged one names the user too), or a service's own.
    const held = claims.grant_id
      ? await deps.labs.rolesOn('user', claims.sub, audience, claims.lab_id)
      : await deps.clientRoles(claims.client_id ?? claims.sub, audience);
    return {
      roles: claims.roles.filter((role) => held.includes(role)),
      ...(liveness.acting && claims.lab_role !== undefined ? { lab_role: liveness.acting.role } : {}),
    };
  }

  async function revoke(ctx: KoaContextWithOIDC): Promise<void> {
    const claims = await deps.tokens.verify(String(ctx.oidc.params!.token));
    const client = ctx.oidc.client!;
    if (claims && mayRevoke(client, claims.client_id)) {
      await deps.revocations.revoke([{ kind: 'jti', value: claims.jti, expiresAt: claims.exp }]);
      await deps.audit.record({
        actor: `client:${client.clientId}`, action: 'access_token.revoked', target: `jti:${claims.jti}`,
        details: { sub: claims.sub, aud: claims.aud, exp: claims.exp, ...(claims.grant_id ? { grant_id: claims.grant_id, grant_ended: !claims.act } : {}) }, requestId: ctx.state.requestId as string | undefined, ip: ctx.ip,
      });
      // As oidc-provider does for opaque access tokens: revoking one ends its grant. Not for an
      // exchanged token (it carries `act`): its grant is the user's grant with another client,
      // which the acting service must not be able to end.
      if (claims.grant_id && !claims.act) await deps.grants.revokeGrant(claims.grant_id);
    }
    ctx.status = 200;
    ctx.body = '';
  }

  provider.use(async (ctx, next) => {
    await next();
    const oidcCtx = ctx as unknown as KoaContextWithOIDC;
    if (!(ctx.state as Record<symbol, boolean>)[FLAG]) return;
    delete (ctx.state as Record<symbol, boolean>)[FLAG];
    ctx.remove('WWW-Authenticate');
    try {
      if (oidcCtx.oidc.route === 'introspection') await introspect(oidcCtx);
      else await revoke(oidcCtx);
    } catch (error) {
      throw asProtocolError(error);
    }
  });
  return {
    isVerifiedJwt: (token) => deps.tokens.isVerified(token),
    async introspection(client, token) {
      try {
        return await introspection(client, token);
      } catch (error) {
        throw asProtocolError(error);
      }
    },
  };
}

/** A storage outage is OAuth's temporarily_unavailable, rendered by the HTTP layer's one error handler like every other OAuth error. */
function asProtocolError(error: unknown): unknown {
  return error instanceof StorageUnavailableError ? new TemporarilyUnavailable(error) : error;
}
