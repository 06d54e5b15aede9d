import type { UserRepository } from '../../storage/postgres/user-repository.js';
import type { AuditLog } from '../audit/audit-log.js';
import { NotFoundError } from '../errors.js';

/** Ends everything a user holds: grants (and so every token from them) and browser sessions. */
export interface AccessTerminator {
  endAllAccessOf(userId: string): Promise<void>;
}

/**
 * Block and restore. Blocking takes effect at once: the user's grants are revoked (refresh
 * tokens fail, access tokens introspect inactive), sessions end, and login answers exactly as
 * for a wrong password. Restoring lets the user sign in again; nothing revoked comes back.
 */
export function createUserBlocking(deps: { users: UserRepository; access: AccessTerminator; audit: AuditLog }) {
  return {
    async block(userId: string, reason: string, actor: string): Promise<void> {
      if (!(await deps.users.setStatus(userId, 'blocked', reason))) throw new NotFoundError('user');
      await deps.access.endAllAccessOf(userId);
      await deps.audit.record({ actor, action: 'user.blocked', target: `user:${userId}`, details: { reason } });
    },
    async restore(userId: string, actor: string): Promise<void> {
      if (!(await deps.users.setStatus(userId, 'active'))) throw new NotFoundError('user');
      await deps.audit.record({ actor, action: 'user.restored', target: `user:${userId}` });
    },
  };
}

export type UserBlocking = ReturnType<typeof createUserBlocking>;
