import type { AccessTerminator } from '../domain/users/access-terminator.js';
import type { OidcPayloadRepository } from '../storage/postgres/oidc-payload-repository.js';
import type { Store } from '../storage/store.js';
import { accountSessionsKey } from './adapter.js';
import type { GrantRevoker } from './grant-revoker.js';

/** Revokes every grant of an account and deletes its browser sessions. */
export function createAccessTerminator(deps: { payloads: OidcPayloadRepository; grants: GrantRevoker; store: Store }): AccessTerminator {
  return {
    async endAllAccessOf(userId: string): Promise<void> {
      for (const grantId of await deps.payloads.grantIdsOfAccount(userId)) await deps.grants.revokeGrant(grantId);
      const sessions = await deps.store.setMembers(accountSessionsKey(userId));
      await deps.store.delete([...sessions, accountSessionsKey(userId)]);
    },
  };
}
