import { createHash } from 'node:crypto';

import { TooManyRequestsError } from '../errors.js';
import type { Store } from '../ports/store.js';

/** Too many mails asked for from one address or for one mailbox; `retryAfterSeconds` bounds the wait. */
export class MailRateLimitError extends TooManyRequestsError {
  constructor(readonly retryAfterSeconds: number) {
    super('too many emails were asked for; try again later');
  }
}

export interface MailRateLimitOptions {
  store: Store;
  /** Mails one mailbox may be sent per window (0: no limit). */
  perAddress: number;
  /** Mails one client IP may ask for per window (0: no limit). */
  perIp: number;
  windowSeconds: number;
}

/**
 * Budgets of outgoing mail, in the shared store so every node counts together: per mailbox (nobody
 * can flood someone's inbox with resets) and per IP (nobody can use Gatehouse to spam many
 * mailboxes). A typed address is counted whether or not an account has it, so the limit reveals
 * nothing either. Mailboxes are hashed: the store never holds the addresses.
 */
export function createMailRateLimit(options: MailRateLimitOptions) {
  const mailbox = (address: string) => `mail-rate:address:${createHash('sha256').update(address.trim().toLowerCase()).digest('base64url')}`;
  return {
    /** Counts one mail for `address` asked for by `ip`; throws past either budget. */
    async admit(request: { address: string; ip?: string }): Promise<void> {
      const over = async (key: string, limit: number) => limit > 0 && (await options.store.increment(key, options.windowSeconds)) > limit;
      const ipOver = request.ip !== undefined && await over(`mail-rate:ip:${request.ip}`, options.perIp);
      const addressOver = await over(mailbox(request.address), options.perAddress);
      if (ipOver || addressOver) throw new MailRateLimitError(options.windowSeconds);
    },
  };
}

export type MailRateLimit = ReturnType<typeof createMailRateLimit>;
