import { createHash } from 'node:crypto';

import type { Store } from '../ports/store.js';

/**
 * Temporary lockout after repeated failed logins for one account, or for one login name no
 * account has (brute-force protection, as Keycloak's). The count lives in the shared store, so every node sees it; a window starts at
 * the first failure and the lock lasts until the window ends. Unknown names are counted like
 * known ones, and a locked login answers exactly like a wrong password — the lock reveals
 * nothing. The price, as with any per-account lockout, is that someone who knows a username can
 * keep it locked; `maxFailures` 0 turns the lockout off.
 */
export function createLoginThrottle(deps: { store: Store; maxFailures: number; lockoutSeconds: number }) {
  // Hashed: the store never holds the names people typed.
  const key = (subject: string) => `login-failures:${createHash('sha256').update(subject).digest('base64url')}`;
  const enabled = deps.maxFailures > 0;

  const failures = async (subject: string) => (enabled ? (await deps.store.getJson<number>(key(subject))) ?? 0 : 0);

  return {
    async isLocked(subject: string): Promise<boolean> {
      return enabled && (await failures(subject)) >= deps.maxFailures;
    },
    /**
     * Whether the subject is locked, and whether any failure is counted: a sign-in that found
     * none has nothing to reset (a failure counted meanwhile stays counted, which errs the
     * safe way), and saves the store a write on every successful password sign-in.
     */
    async check(subject: string): Promise<{ locked: boolean; counted: boolean }> {
      const count = await failures(subject);
      return { locked: enabled && count >= deps.maxFailures, counted: count > 0 };
    },
    /** Counts a failure; true when this failure started the lock. */
    async recordFailure(subject: string): Promise<boolean> {
      if (!enabled) return false;
      return (await deps.store.increment(key(subject), deps.lockoutSeconds)) === deps.maxFailures;
    },
    async reset(subject: string): Promise<void> {
      if (enabled) await deps.store.delete([key(subject)]);
    },
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
