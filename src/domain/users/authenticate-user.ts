import type { Factor } from '../ports/factor-repository.js';
import type { UserRepository } from '../ports/user-repository.js';
import type { User } from '../types.js';
import type { PasswordHasher } from './password-hasher.js';

export type AuthenticationResult =
  /** `factorKinds`: the kinds of second factor the person has (read with the account). */
  | { ok: true; user: User; factorKinds: ReadonlySet<Factor['kind']> }
  /** `userId` when the login named an account: lockouts count per account, whichever name was typed. */
  | { ok: false; reason: 'unknown_user' | 'wrong_password' | 'blocked'; userId?: string };

/**
 * Checks a login. Every failure runs one argon2 verification, so unknown, blocked and wrong
 * password cost the same; the caller shows one message for all three and logs the reason.
 */
export function createAuthenticateUser(deps: { users: UserRepository; hasher: PasswordHasher }) {
  return async function authenticateUser(login: string, password: string): Promise<AuthenticationResult> {
    const found = await deps.users.findForSignIn(login);
    const valid = await deps.hasher.verify(found?.passwordHash, password);
    if (!found) return { ok: false, reason: 'unknown_user' };
    if (!valid) return { ok: false, reason: 'wrong_password', userId: found.id };
    if (found.status !== 'active') return { ok: false, reason: 'blocked', userId: found.id };
    if (found.passwordHash && deps.hasher.needsRehash(found.passwordHash)) {
      await deps.users.setPasswordHash(found.id, await deps.hasher.hash(password));
    }
    const { passwordHash: _secret, factorKinds, ...user } = found;
    return { ok: true, user, factorKinds: new Set(factorKinds) };
  };
}
