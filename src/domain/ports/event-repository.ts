import type { Repositories } from './repositories.js';
import type { StoredEvent } from '../events/domain-event.js';

export interface EventFilter {
  /** Only these types (any when absent or empty). */
  types?: readonly string[];
  /** Only events concerning this lab. */
  labId?: string;
  /** Only events at or after this time. */
  since?: Date;
}

/**
 * The transactional outbox, read in commit order. Events are written by AuditRepository.append,
 * with the audit row of the change that caused them.
 */
export interface EventRepository {
  /** Events after a position (and up to `upTo`, when given), oldest first. */
  after(seq: number, filter: EventFilter, limit: number, upTo?: number): Promise<StoredEvent[]>;
  /** The position of the newest committed event (0 when there is none). */
  latestSeq(): Promise<number>;
  /** Oldest event time still kept (events older than the retention are swept). */
  deleteBefore(time: Date): Promise<number>;
}

/**
 * A relay's position in the outbox, held by one node at a time. `work` receives the position
 * and returns the new one; it runs while the lease is held (on Postgres: the cursor row locked
 * `FOR UPDATE SKIP LOCKED` in one transaction), so two nodes never relay the same events, and a
 * node that dies mid-way leaves the position where it was (the events go again: at least once).
 * `repos` are bound to the lease's transaction (the embedded database has one connection).
 * Answers `undefined` without calling `work` when another node holds the lease.
 */
export type LeaseRelayCursor = <T>(name: string, work: (afterSeq: number, repos: Repositories) => Promise<{ afterSeq: number; result: T }>) => Promise<T | undefined>;
