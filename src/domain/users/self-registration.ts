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
    register: (origin: ChangeOrigin, input: Registration): Promise<{ created: boolean }> => options.users.register(origin, input),
  };
}

export type SelfRegistration = ReturnType<typeof createSelfRegistration>;
