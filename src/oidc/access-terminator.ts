import type { AccessTerminator } from '../domain/users/access-terminator.js';
import type { PayloadRepository } from '../domain/ports/payload-repository.js';
import type { SessionDirectory } from '../domain/ports/session-directory.js';
import type { GrantRevoker } from './grant-revoker.js';

/** Revokes every grant of an account and deletes its browser sessions. */
export function createAccessTerminator(deps: { payloads: PayloadRepository; grants: GrantRevoker; sessions: SessionDirectory }): AccessTerminator {
  return {
    async endAllAccessOf(userId: string): Promise<void> {
      for (const grantId of await deps.payloads.grantIdsOfAccount(userId)) await deps.grants.revokeGrant(grantId);
      await deps.sessions.endAll(userId);
    },
    async endSessionsOf(userId: string): Promise<void> {
      await deps.sessions.endAll(userId);
    },
  };
}
