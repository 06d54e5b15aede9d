import { ForbiddenError, NotFoundError } from '../errors.js';
import type { AuditedChange, ChangeOrigin } from './audited-change.js';
import type { Authority } from './user-management.js';

/**
 * An admin removes every second factor and recovery code of a person who lost them (the person
 * enrols again at the next sign-in that needs one). A lab admin may do so only for a member of
 * their lab alone who is not a platform admin, the rule for setting a password: a reset weakens
 * the account everywhere it is used. Audited with the number of factors removed.
 */
export function createFactorReset(deps: { change: AuditedChange }) {
  return async function resetFactors(origin: ChangeOrigin, userId: string, authority: Authority): Promise<{ removed: number }> {
    return deps.change(origin, async (tx, record) => {
      const confined = await tx.users.findInDirectory(userId, authority.confinedTo);
      if (!confined) throw new NotFoundError('user');
      if (authority.confinedTo !== undefined) {
        const everywhere = (await tx.users.findInDirectory(userId))!;
        if (everywhere.isAdmin || everywhere.labs.some((l) => l.labId !== authority.confinedTo)) {
          throw new ForbiddenError('lab admins may only reset the factors of users who belong to their lab alone; ask a platform admin');
        }
      }
      if (confined.isAdmin && !authority.mayGrantAdmin) throw new ForbiddenError('only platform admins may reset the factors of a platform admin');
      // The kinds go in the audit row: the event it publishes tells receivers which credentials were revoked.
      const kinds = [...new Set((await tx.factors.list(userId)).map((f) => f.kind))];
      const removed = await tx.factors.removeAll(userId);
      await record('factor.reset', `user:${userId}`, { removed, ...(removed ? { kinds: [...kinds, 'recovery_codes'] } : {}) });
      return { removed };
    });
  };
}

export type FactorReset = ReturnType<typeof createFactorReset>;
