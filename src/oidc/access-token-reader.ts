import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';

import type { ActingLab, LabAccess } from '../domain/tenancy/lab-access.js';
import type { User } from '../domain/types.js';
import type { AccountClaims } from './account-claims.js';
import type { PrivateJwk } from './keys.js';
import type { RevocationList } from './revocation-list.js';

export type AccessTokenClaims = JWTPayload & {
  jti: string; exp: number; client_id?: string; grant_id?: string; scope?: string; lab_id?: string; lab_role?: string; roles?: string[];
  /** RFC 9449: the thumbprint of the key a DPoP-bound token is bound to. */
  cnf?: { jkt?: string };
};

/**
 * Whether a token still stands, with what that was read from: a user's token carries the user and
 * (when it acts in a lab) the membership, so callers need not read them again.
 */
export type TokenLiveness = { active: false } | { active: true; user?: User; acting?: ActingLab };

export interface AccessTokenReaderDeps {
  issuer: string;
  keys: PrivateJwk[];
  revocations: RevocationList;
  accounts: AccountClaims;
  labs: LabAccess;
  /** Most tokens whose signature is remembered as checked. */
  maxVerified: number;
}

/**
 * Reads Gatehouse's own JWT access tokens, for introspection and for the management API: the
 * signature (against this key set), then whether the token is still alive — not revoked, its
 * user not blocked, its lab membership still active.
 */
export function createAccessTokenReader(deps: AccessTokenReaderDeps) {
  const publicKeys = createLocalJWKSet({
    keys: deps.keys.map(({ kty, n, e, kid, alg, use }) => ({ kty, n, e, kid, alg, use })),
  });

  // Services introspect the same token on each of their requests: a token whose signature was
  // checked once is not checked again (its expiry and revocation still are, every time). The
  // set is per key set, bounded (least recently used first out), and forgets a token once expired.
  const verified = new LRUCache<string, AccessTokenClaims>({ max: deps.maxVerified });

  async function isRevoked(claims: AccessTokenClaims): Promise<boolean> {
    const entries: Array<{ kind: 'jti' | 'grant'; value: string }> = [{ kind: 'jti', value: claims.jti }];
    if (claims.grant_id) entries.push({ kind: 'grant', value: claims.grant_id });
    return deps.revocations.isRevoked(entries);
  }

  return {
    /** Whether `token` is one whose signature was checked here already (so certainly a JWS of these keys). */
    isVerified: (token: string): boolean => verified.has(token),

    /** The claims of a well-signed, unexpired token (optionally for one audience); undefined otherwise. */
    async verify(token: string, audience?: string): Promise<AccessTokenClaims | undefined> {
      let claims = verified.get(token);
      if (!claims) {
        try {
          const { payload } = await jwtVerify(token, publicKeys, { issuer: deps.issuer, typ: 'at+jwt', algorithms: ['RS256'] });
          if (typeof payload.jti !== 'string' || typeof payload.exp !== 'number') return undefined;
          claims = payload as AccessTokenClaims;
          const ttl = claims.exp * 1000 - Date.now();
          if (ttl > 0) verified.set(token, claims, { ttl });
        } catch {
          return undefined;
        }
      }
      if (claims.exp <= Date.now() / 1000) return undefined;
      if (audience !== undefined && !(Array.isArray(claims.aud) ? claims.aud.includes(audience) : claims.aud === audience)) return undefined;
      return claims;
    },

    /**
     * The one liveness check of introspection and the management API: not revoked (token or
     * grant), its user still active, its lab membership still active.
     */
    async liveness(claims: AccessTokenClaims): Promise<TokenLiveness> {
      if (await isRevoked(claims)) return { active: false };
      // A user's token dies with the user's access: blocked or deleted users are inactive.
      const user = claims.grant_id && claims.sub ? await deps.accounts.findActiveUser(claims.sub) : undefined;
      if (claims.grant_id && claims.sub && !user) return { active: false };
      // ...and with the lab it acts in: a suspended membership or lab makes it inactive.
      const acting = claims.lab_id && claims.sub ? await deps.labs.activeMembership(claims.sub, claims.lab_id) : undefined;
      if (claims.lab_id && claims.sub && !acting) return { active: false };
      return { active: true, user, acting };
    },
  };
}

export type AccessTokenReader = ReturnType<typeof createAccessTokenReader>;
