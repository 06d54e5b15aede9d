import type { DomainEvent } from '../../domain/events/domain-event.js';

/** The outbox's columns, and its rows as one JSON parameter: for its own insert and the audit log's combined one. */
export const EVENT_COLUMNS = 'id, type, occurred_at, actor, subject, lab_ids, data';
export const EVENT_RECORDS = 'jsonb_to_recordset(?::jsonb) AS e(id uuid, type text, occurred_at timestamptz, actor text, subject text, lab_ids text[], data jsonb)';
export const eventRecords = (events: readonly DomainEvent[]) => JSON.stringify(events.map((e) => ({
  id: e.id, type: e.type, occurred_at: e.time.toISOString(), actor: e.actor, subject: e.subject, lab_ids: e.labIds, data: e.data,
})));
