import type { AuditEntry, ChainedAuditEntry } from '../audit/audit-chain.js';
import type { DomainEvent } from '../events/domain-event.js';
import type { Page, Paging } from './paging.js';

/** Filters of the audit query and export; every one is optional and they combine with AND. */
export interface AuditFilter {
  /** Exact action, or a prefix when it ends in `*` (`user.*`). */
  action?: string;
  actor?: string;
  /** Prefix of the target: `user:<id>` also finds `user:<id>/grant:<grantId>`. */
  targetPrefix?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  /** Only rows with a smaller id: pins a listing to what existed when its first page was read. */
  before?: number;
}

/** The chained audit log. Appends are serialised so each row links to the true previous one. */
export interface AuditRepository {
  /**
   * Appends an entry to the chain and, in the same step, the events the change publishes to the
   * outbox: the change, its audit row and its events commit together, and the events' positions
   * follow commit order (the audit lock orders appends).
   */
  append(entry: AuditEntry, events?: readonly DomainEvent[]): Promise<void>;
  /**
   * Appends several entries, each with its events, in the order given: one step, in the
   * caller's transaction or, outside one, its own (on Postgres a single round trip).
   */
  appendBatch(items: ReadonlyArray<{ entry: AuditEntry; events: readonly DomainEvent[] }>): Promise<void>;
  /** Rows in id order, a page at a time (for verification and export). */
  all(pageSize?: number): AsyncGenerator<ChainedAuditEntry>;
  /** Newest first (id descending: the order rows were chained in), with the total matching. */
  query(filter: AuditFilter, page: Paging): Promise<Page<ChainedAuditEntry>>;
  /** Matching rows in id order, a page at a time, so an export never holds the log in memory. */
  matching(filter: AuditFilter, pageSize?: number): AsyncGenerator<ChainedAuditEntry>;
}
