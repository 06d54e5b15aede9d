import type { StoredEvent } from '../../domain/events/domain-event.js';
import type { EventType } from '../../domain/events/event-types.js';
import type { EventFilter, EventRepository } from '../../domain/ports/event-repository.js';
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
    async after(seq: number, filter: EventFilter, limit: number, upTo?: number) {
      const query = db('events').select().where('seq', '>', seq).orderBy('seq').limit(limit);
      if (upTo !== undefined) query.where('seq', '<=', upTo);
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
      // Never an event a relay has not passed yet, nor one a webhook delivery still waits on.
      return db('events').where('occurred_at', '<', time)
        .whereRaw('seq <= coalesce((SELECT min(after_seq) FROM relay_cursors), 0)')
        .whereNotExists(db('webhook_deliveries').select(db.raw('1')).whereRaw('webhook_deliveries.event_seq = events.seq').where('status', 'pending'))
        .delete();
    },
  };
}
