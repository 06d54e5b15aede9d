import type { StoredEvent } from '../../domain/events/domain-event.js';
import type { EventType } from '../../domain/events/event-types.js';
import type { EventFilter, EventRepository } from '../../domain/ports/event-repository.js';
import { AUDIT_LOCK } from './audit-repository.js';
import type { Database } from './database.js';

interface EventRow {
  seq: string | number; id: string; type: string; occurred_at: Date; actor: string; subject: string; lab_ids: string[]; data: unknown;
}

export const toStoredEvent = (row: EventRow): StoredEvent => ({
  seq: Number(row.seq),
  id: row.id,
  type: row.type as EventType,
  time: new Date(row.occurred_at),
  actor: row.actor,
  subject: row.subject,
  labIds: row.lab_ids ?? [],
  data: (typeof row.data === 'string' ? JSON.parse(row.data) : row.data) as Record<string, unknown>,
});

export function createEventRepository(db: Database): EventRepository {
  return {
    async append(events) {
      if (events.length === 0) return;
      await db.transaction(async (trx) => {
        // The audit log's lock, held to the end of the enclosing transaction: positions are
        // taken in commit order, so a cursor never skips an event that commits late.
        await trx.raw('SELECT pg_advisory_xact_lock(?)', [AUDIT_LOCK]);
        await trx('events').insert(events.map((e) => ({
          id: e.id, type: e.type, occurred_at: e.time, actor: e.actor, subject: e.subject, lab_ids: e.labIds, data: JSON.stringify(e.data),
        })));
      });
    },

    async after(seq: number, filter: EventFilter, limit: number) {
      const query = db('events').select().where('seq', '>', seq).orderBy('seq').limit(limit);
      if (filter.types?.length) query.whereIn('type', [...filter.types]);
      if (filter.labId !== undefined) query.whereRaw('? = ANY(lab_ids)', [filter.labId]);
      if (filter.since !== undefined) query.where('occurred_at', '>=', filter.since);
      return ((await query) as EventRow[]).map(toStoredEvent);
    },

    async latestSeq() {
      const row = await db('events').max({ seq: 'seq' }).first() as { seq: string | number | null } | undefined;
      return Number(row?.seq ?? 0);
    },

    async deleteBefore(time: Date) {
      return db('events').where('occurred_at', '<', time).delete();
    },
  };
}
