import type { PayloadRepository } from '../domain/ports/payload-repository.js';
import type { RevocationList } from './revocation-list.js';

/** How long a revoked grant stays listed: the longest an access token from it can live. */
export const MAX_ACCESS_TOKEN_TTL_SECONDS = 86_400;

export const durableKinds = ['Grant', 'RefreshToken', 'AccessToken', 'ClientCredentials'] as const;

/**
 * Ends a grant everywhere: its stored tokens are deleted and the grant id is listed as revoked,
 * which makes the JWT access tokens minted from it (they carry `grant_id`) inactive too.
 */
export function createGrantRevoker(deps: { payloads: PayloadRepository; revocations: RevocationList }) {
  return {
    async revokeGrant(grantId: string): Promise<void> {
      await deps.revocations.revoke([{ kind: 'grant', value: grantId, expiresAt: Math.floor(Date.now() / 1000) + MAX_ACCESS_TOKEN_TTL_SECONDS }]);
      for (const kind of durableKinds) await deps.payloads.destroyByGrantId(kind, grantId);
      await deps.payloads.destroy('Grant', grantId);
    },
  };
}

export type GrantRevoker = ReturnType<typeof createGrantRevoker>;
