import type { AccessTerminator } from '../domain/users/access-terminator.js';
import type { PayloadRepository } from '../domain/ports/payload-repository.js';
import type { Store } from '../domain/ports/store.js';
import { accountSessionsKey } from './adapter.js';
import type { GrantRevoker } from './grant-revoker.js';

/** Revokes every grant of an account and deletes its browser sessions. */
export function createAccessTerminator(deps: { payloads: PayloadRepository; grants: GrantRevoker; store: Store }): AccessTerminator {
  return {
    async endAllAccessOf(userId: string): Promise<void> {
      for (const grantId of await deps.payloads.grantIdsOfAccount(userId)) await deps.grants.revokeGrant(grantId);
      const sessions = await deps.store.setMembers(accountSessionsKey(userId));
      await deps.store.delete([...sessions, accountSessionsKey(userId)]);
    },
  };
}
