import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { errors } from 'oidc-provider';

import { isUnavailable } from '../storage/unavailable.js';
import type { AccountClaims } from './account-claims.js';
import type { LabAccess } from '../domain/tenancy/lab-access.js';
import type { AuditLog } from '../domain/audit/audit-log.js';
import { TemporarilyUnavailable } from './errors.js';
import { mayIntrospect, mayRevoke } from './token-policies.js';
import type { GrantRevoker } from './grant-revoker.js';
import type { PrivateJwk } from './keys.js';
import type { RevocationList } from './revocation-list.js';

export interface StructuredTokenDeps {
  issuer: string;
  keys: PrivateJwk[];
  revocations: RevocationList;
  grants: GrantRevoker;
  accounts: AccountClaims;
  labs: LabAccess;
  audit: AuditLog;
}

type AccessTokenClaims = JWTPayload & { jti: string; exp: number; client_id?: string; grant_id?: string; scope?: string; lab_id?: string };

const FLAG = Symbol('structuredToken');

/**
 * Introspection (RFC 7662) and revocation (RFC 7009) of Gatehouse's own JWT access tokens.
 * oidc-provider authenticates the client and then refuses JWTs with unsupported_token_type;
 * this middleware notices that refusal and answers instead, so client authentication, body
 * parsing and error rendering stay oidc-provider's.
 */
export function installStructuredTokenSupport(provider: Provider, deps: StructuredTokenDeps): void {
  const publicKeys = createLocalJWKSet({
    keys: deps.keys.map(({ kty, n, e, kid, alg, use }) => ({ kty, n, e, kid, alg, use })),
  });

  const flag = (ctx: KoaContextWithOIDC, err: Error) => {
    if (err instanceof errors.UnsupportedTokenType && ctx.oidc?.client) (ctx.state as Record<symbol, boolean>)[FLAG] = true;
  };
  provider.on('introspection.error', flag);
  provider.on('revocation.error', flag);

  // Services introspect the same token on each of their requests: a token whose signature was
  // checked once is not checked again (its expiry and revocation still are, every time). The
  // set is per key set, bounded, and oldest-first evicted.
  const verified = new Map<string, AccessTokenClaims>();
  const VERIFIED_MAX = 10_000;

  async function verify(token: string): Promise<AccessTokenClaims | undefined> {
    const known = verified.get(token);
    if (known) return known.exp > Date.now() / 1000 ? known : undefined;
    try {
      const { payload } = await jwtVerify(token, publicKeys, { issuer: deps.issuer, typ: 'at+jwt', algorithms: ['RS256'] });
      if (typeof payload.jti !== 'string' || typeof payload.exp !== 'number') return undefined;
      if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value!);
      verified.set(token, payload as AccessTokenClaims);
      return payload as AccessTokenClaims;
    } catch {
      return undefined;
    }
  }

  async function isActive(claims: AccessTokenClaims): Promise<boolean> {
    const entries: Array<{ kind: 'jti' | 'grant'; value: string }> = [{ kind: 'jti', value: claims.jti }];
    if (claims.grant_id) entries.push({ kind: 'grant', value: claims.grant_id });
    if (await deps.revocations.isRevoked(entries)) return false;
    // A user's token dies with the user's access: blocked or deleted users are inactive.
    if (claims.grant_id && claims.sub && !(await deps.accounts.findActiveUser(claims.sub))) return false;
    // ...and with the lab it acts in: a suspended membership or lab makes it inactive.
    if (claims.lab_id && claims.sub && !(await deps.labs.activeMembership(claims.sub, claims.lab_id))) return false;
    return true;
  }

  async function introspect(ctx: KoaContextWithOIDC): Promise<void> {
    const claims = await verify(String(ctx.oidc.params!.token));
    const client = ctx.oidc.client!;
    ctx.status = 200;
    ctx.type = 'application/json; charset=utf-8';
    if (!claims || !mayIntrospect(client, claims.client_id, claims.aud) || !(await isActive(claims))) {
      ctx.body = { active: false };
      return;
    }
    const { grant_id: _internal, ...visible } = claims;
    ctx.body = { ...visible, active: true, token_type: 'Bearer' };
  }

  async function revoke(ctx: KoaContextWithOIDC): Promise<void> {
    const claims = await verify(String(ctx.oidc.params!.token));
    const client = ctx.oidc.client!;
    if (claims && mayRevoke(client, claims.client_id)) {
      await deps.revocations.revoke([{ kind: 'jti', value: claims.jti, expiresAt: claims.exp }]);
      await deps.audit.record({
        actor: `client:${client.clientId}`, action: 'access_token.revoked', target: `jti:${claims.jti}`,
        details: { sub: claims.sub, aud: claims.aud }, requestId: ctx.state.requestId as string | undefined, ip: ctx.ip,
      });
      // As oidc-provider does for opaque access tokens: revoking one ends its grant.
      if (claims.grant_id) await deps.grants.revokeGrant(claims.grant_id);
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
      // Rendered by the HTTP layer's one error handler, like every other OAuth error.
      throw isUnavailable(error) ? new TemporarilyUnavailable(error) : error;
    }
  });
}
