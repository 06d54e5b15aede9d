import { TooManyRequestsError } from '../errors.js';
import type { ChangeOrigin } from '../management/audited-change.js';
import type { Registration, UserManagement } from '../management/user-management.js';
import type { Store } from '../ports/store.js';

export interface SelfRegistrationOptions {
  users: Pick<UserManagement, 'register'>;
  store: Store;
  /** Registrations one address may attempt per window. */
  perWindow: number;
  windowSeconds: number;
  /** Sends the new account's address a verification link (when mail is configured). */
  verifyEmail?: (userId: string, email: string, origin: ChangeOrigin) => Promise<void>;
  /** A verification mail that could not be asked for (its budget spent): the account exists all the same. */
  onVerifyError?: (error: unknown) => void;
}

/** Too many registrations from one address: `retryAfterSeconds` says when the window ends at the latest. */
export class RegistrationLimitError extends TooManyRequestsError {
  constructor(readonly retryAfterSeconds: number, perWindow: number) {
    super(`at most ${perWindow} registrations per address per hour`);
  }
}

/**
 * People create their own account (no lab, no roles). Each attempt costs an argon2 hash, so a
 * per-address budget keeps the endpoint from being a CPU sink; a taken username or email gets
 * the answer a new account gets (see UserManagement.register).
 */
export function createSelfRegistration(options: SelfRegistrationOptions) {
  return {
    /** Counts an attempt from `ip`, valid or not, before anything else is read; throws past the budget. */
    async admit(ip: string): Promise<void> {
      if ((await options.store.increment(`registrations:${ip}`, options.windowSeconds)) > options.perWindow) {
        throw new RegistrationLimitError(options.windowSeconds, options.perWindow);
      }
    },
    async register(origin: ChangeOrigin, input: Registration): Promise<{ created: boolean }> {
      const { created, userId } = await options.users.register(origin, input);
      if (created && userId && options.verifyEmail) {
        await options.verifyEmail(userId, input.email, origin).catch((error: unknown) => options.onVerifyError?.(error));
      }
      return { created };
    },
  };
}

export type SelfRegistration = ReturnType<typeof createSelfRegistration>;
