import { TooManyRequestsError } from '../errors.js';
import type { Store } from '../ports/store.js';

export interface UserCodeEntryOptions {
  store: Store;
  /** Wrong codes one address may enter per window; 0 turns the limit off. */
  maxFailures: number;
  windowSeconds: number;
}

/** Too many wrong user codes from one address: `retryAfterSeconds` says when the window ends at the latest. */
export class UserCodeEntryLimitError extends TooManyRequestsError {
  constructor(readonly retryAfterSeconds: number, maxFailures: number) {
    super(`at most ${maxFailures} wrong device codes per address in ${retryAfterSeconds} seconds`);
  }
}

/**
 * The budget of wrong user codes (RFC 8628 §5.1: user codes are short, so guessing them must be
 * rate limited). Only wrong codes count, so a classroom behind one address can connect its
 * devices; the count lives in the shared store, so every node sees it, and a window starts at
 * the first wrong code.
 */
export function createUserCodeEntry(options: UserCodeEntryOptions) {
  const key = (ip: string) => `device-code-failures:${ip}`;
  const checking = (ip: string) => `device-code-checking:${ip}`;
  const enabled = options.maxFailures > 0;
  return {
    /**
     * Throws when `ip` has used up its wrong codes, or is checking another code right now; called
     * before a code is looked up, and followed by `release` once the check is answered. One check
     * at a time per address: parallel guesses would otherwise all pass the count before any of
     * them was recorded.
     */
    async admit(ip: string): Promise<void> {
      if (!enabled) return;
      if (!(await options.store.claim(checking(ip), CHECK_SECONDS))) throw new UserCodeEntryLimitError(CHECK_SECONDS, options.maxFailures);
      if (((await options.store.getJson<number>(key(ip))) ?? 0) >= options.maxFailures) {
        await options.store.delete([checking(ip)]);
        throw new UserCodeEntryLimitError(options.windowSeconds, options.maxFailures);
      }
    },
    /** Ends the check `admit` began (its mark also expires on its own, should this never run). */
    async release(ip: string): Promise<void> {
      if (enabled) await options.store.delete([checking(ip)]);
    },
    /** Counts a code that matched no device. */
    async recordWrongCode(ip: string): Promise<void> {
      if (enabled) await options.store.increment(key(ip), options.windowSeconds);
    },
  };
}

/** Longest a code check may hold an address's turn (the mark expires even if never released). */
const CHECK_SECONDS = 10;

export type UserCodeEntry = ReturnType<typeof createUserCodeEntry>;
