import { chainHash, GENESIS_HASH, type AuditEntry, type ChainedAuditEntry } from '../../domain/audit/audit-chain.js';
import type { AuditFilter, AuditRepository } from '../../domain/ports/audit-repository.js';
import type { DomainEvent } from '../../domain/events/domain-event.js';
import type { Database } from './database.js';

/** The outbox's columns, and its rows as one JSON parameter (inserted with the audit row: see append). */
const EVENT_COLUMNS = 'id, type, occurred_at, actor, subject, lab_ids, data';
const EVENT_RECORDS = 'jsonb_to_recordset(?::jsonb) AS e(id uuid, type text, occurred_at timestamptz, actor text, subject text, lab_ids text[], data jsonb)';
const eventRecords = (events: readonly DomainEvent[]) => JSON.stringify(events.map((e) => ({
  id: e.id, type: e.type, occurred_at: e.time.toISOString(), actor: e.actor, subject: e.subject, lab_ids: e.labIds, data: e.data,
})));

// Serialises appends across processes so each row links to the true previous one.
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

  return {
    async append(entry: AuditEntry, events: readonly DomainEvent[] = []): Promise<void> {
      // The lock lasts until the enclosing transaction ends, and every append waits for it: what
      // runs under it is kept to the read of the last hash, one insert and the commit. Inside a
      // transaction, no savepoint of our own (two more round trips); the events go in the same
      // statement as the row (one more), so publishing events costs the lock no round trip.
      const inTransaction = (work: (trx: Database) => Promise<void>) => (db.isTransaction ? work(db) : db.transaction(work));
      await inTransaction(async (trx) => {
        await trx.raw('SELECT pg_advisory_xact_lock(?)', [AUDIT_LOCK]);
        const last = await trx('audit_log').first('hash').orderBy('id', 'desc');
        const prevHash = (last?.hash as string | undefined) ?? GENESIS_HASH;
        const row = trx('audit_log').insert({
          at: entry.at,
          actor: entry.actor,
          action: entry.action,
          target: entry.target ?? null,
          details: JSON.stringify(entry.details),
          request_id: entry.requestId ?? null,
          ip: entry.ip ?? null,
          prev_hash: prevHash,
          hash: chainHash(prevHash, entry),
        });
        if (events.length === 0) await row;
        else await trx.raw(`WITH audit_row AS (?) INSERT INTO events (${EVENT_COLUMNS}) SELECT e.* FROM ${EVENT_RECORDS}`, [row, eventRecords(events)]);
      });
    },

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
