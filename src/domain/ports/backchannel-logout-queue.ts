import type { ClientLogout } from './logout-notifier.js';

/** A stored back-channel logout delivery, as a node claimed it. */
export interface PendingLogout extends ClientLogout {
  id: number;
  /** Tries so far, this one included. */
  attempts: number;
}

/**
 * Back-channel logout deliveries waiting to be sent or retried, kept in the database so a
 * restart loses none; several nodes share them, each row leased to one at a time.
 */
export interface BackchannelLogoutQueue {
  enqueue(logouts: readonly ClientLogout[]): Promise<void>;
  /** Leases up to `limit` due deliveries until `leaseUntil` and counts the try; another node skips them. */
  claimDue(now: Date, limit: number, leaseUntil: Date): Promise<PendingLogout[]>;
  /** Delivered or given up: forgotten. */
  remove(id: number): Promise<void>;
  /** Failed, to be tried again at `at` (by any node). */
  retryAt(id: number, at: Date): Promise<void>;
}
