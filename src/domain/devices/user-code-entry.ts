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
  const enabled = options.maxFailures > 0;
  return {
    /** Throws when `ip` has used up its wrong codes; called before a code is looked up. */
    async admit(ip: string): Promise<void> {
      if (!enabled) return;
      if (((await options.store.getJson<number>(key(ip))) ?? 0) >= options.maxFailures) {
        throw new UserCodeEntryLimitError(options.windowSeconds, options.maxFailures);
      }
    },
    /** Counts a code that matched no device. */
    async recordWrongCode(ip: string): Promise<void> {
      if (enabled) await options.store.increment(key(ip), options.windowSeconds);
    },
  };
}

export type UserCodeEntry = ReturnType<typeof createUserCodeEntry>;
