import { canonicalEntry, type AuditEntry, type ChainedAuditEntry } from '../../domain/audit/audit-chain.js';
import type { AuditFilter, AuditRepository } from '../../domain/ports/audit-repository.js';
import type { DomainEvent } from '../../domain/events/domain-event.js';
import type { Database } from './database.js';

/** The outbox's rows as one JSON parameter (inserted with the audit rows: see appendBatch). */
const eventRecords = (events: readonly DomainEvent[]) => JSON.stringify(events.map((e) => ({
  id: e.id, type: e.type, occurred_at: e.time.toISOString(), actor: e.actor, subject: e.subject, lab_ids: e.labIds, data: e.data,
})));

// Serialises appends across processes so each row links to the true previous one (taken in audit_append).
export const AUDIT_LOCK = 7_314_159;

interface AuditRow {
  id: number; at: Date; actor: string; action: string; target: string | null; details: unknown;
  request_id: string | null; ip: string | null; prev_hash: string; hash: string;
}

const toEntry = (r: AuditRow): ChainedAuditEntry => ({
  id: Number(r.id),
  at: new Date(r.at),
  actor: r.actor,
  action: r.action,
  target: r.target ?? undefined,
  details: (typeof r.details === 'string' ? JSON.parse(r.details) : r.details) as Record<string, unknown>,
  requestId: r.request_id ?? undefined,
  ip: r.ip ?? undefined,
  prevHash: r.prev_hash,
  hash: r.hash,
});

// LIKE patterns from user input: the wildcards and the escape character match themselves.
const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function createAuditRepository(db: Database): AuditRepository {
  const filtered = (filter: AuditFilter) => {
    const query = db('audit_log');
    if (filter.action !== undefined) {
      if (filter.action.endsWith('*')) query.where('action', 'like', likePrefix(filter.action.slice(0, -1)));
      else query.where('action', filter.action);
    }
    if (filter.actor !== undefined) query.where('actor', filter.actor);
    if (filter.targetPrefix !== undefined) query.where('target', 'like', likePrefix(filter.targetPrefix));
    if (filter.from !== undefined) query.where('at', '>=', filter.from);
    if (filter.to !== undefined) query.where('at', '<', filter.to);
    if (filter.before !== undefined) query.where('id', '<', filter.before);
    return query;
  };

  /**
   * One call of `audit_append` (migrations/20261130_015_audit_append_function.ts): the chain's
   * lock, the read of the last hash, the rows and their events in one round trip, in the
   * enclosing transaction or as a transaction of its own. The lock lasts until that transaction
   * ends, and every append waits for it. Each row's canonical JSON is made here, by the same
   * function the chain is verified with; Postgres hashes it onto the previous row's hash.
   */
  async function appendBatch(items: ReadonlyArray<{ entry: AuditEntry; events: readonly DomainEvent[] }>): Promise<void> {
    if (items.length === 0) return;
    const entries = items.map(({ entry }) => ({
      at: entry.at.toISOString(), actor: entry.actor, action: entry.action, target: entry.target ?? null, details: entry.details,
      request_id: entry.requestId ?? null, ip: entry.ip ?? null, canonical: canonicalEntry(entry),
    }));
    await db.raw('SELECT audit_append(?::jsonb, ?::jsonb)', [JSON.stringify(entries), eventRecords(items.flatMap(({ events }) => events))]);
  }

  return {
    append: (entry, events = []) => appendBatch([{ entry, events }]),
    appendBatch,

    /** Rows in id order, a page at a time (for verification and export). */
    async *all(pageSize = 1000): AsyncGenerator<ChainedAuditEntry> {
      let after = 0;
      for (;;) {
        const rows = (await db('audit_log').select().where('id', '>', after).orderBy('id').limit(pageSize)) as AuditRow[];
        for (const row of rows) yield toEntry(row);
        if (rows.length < pageSize) return;
        after = Number(rows[rows.length - 1]!.id);
      }
    },

    /** Newest first (id descending: the order rows were chained in), with the total matching. */
    async query(filter: AuditFilter, page: { limit: number; offset: number }): Promise<{ items: ChainedAuditEntry[]; total: number }> {
      const [{ total }] = await filtered(filter).count({ total: '*' }) as Array<{ total: number | string }>;
      const rows = (await filtered(filter).select().orderBy('id', 'desc').limit(page.limit).offset(page.offset)) as AuditRow[];
      return { items: rows.map(toEntry), total: Number(total) };
    },

    /** Matching rows in id order, a page at a time, so an export never holds the log in memory. */
    async *matching(filter: AuditFilter, pageSize = 1000): AsyncGenerator<ChainedAuditEntry> {
      let after = 0;
      for (;;) {
        const rows = (await filtered(filter).select().where('id', '>', after).orderBy('id').limit(pageSize)) as AuditRow[];
        for (const row of rows) yield toEntry(row);
        if (rows.length < pageSize) return;
        after = Number(rows[rows.length - 1]!.id);
      }
    },
  };
}
