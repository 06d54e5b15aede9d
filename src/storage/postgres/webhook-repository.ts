import type { Page } from '../../domain/ports/paging.js';
import type { ClaimedDelivery, DeliveryRecord, DeliveryStatus, WebhookRecord, WebhookRepository } from '../../domain/ports/webhook-repository.js';
import { affectedRows } from './affected-rows.js';
import type { Database } from './database.js';
import { toStoredEvent } from './event-repository.js';

interface WebhookRow {
  id: string; url: string; description: string | null; event_types: string[]; lab_id: string | null; secret: string;
  enabled: boolean; disabled_reason: string | null; failing_since: Date | null; created_at: Date; updated_at: Date;
}

interface DeliveryRow {
  id: string | number; webhook_id: string; event_id: string; event_type: string; status: string; attempts: number; next_attempt_at: Date;
  last_status: number | null; last_error: string | null; created_at: Date; finished_at: Date | null;
}

const toWebhook = (r: WebhookRow): WebhookRecord => ({
  id: r.id, url: r.url, ...(r.description ? { description: r.description } : {}), eventTypes: r.event_types ?? [],
  ...(r.lab_id ? { labId: r.lab_id } : {}), enabled: r.enabled, ...(r.disabled_reason ? { disabledReason: r.disabled_reason } : {}),
  ...(r.failing_since ? { failingSince: new Date(r.failing_since) } : {}), createdAt: new Date(r.created_at), updatedAt: new Date(r.updated_at),
});

const toDelivery = (r: DeliveryRow): DeliveryRecord => ({
  id: Number(r.id), webhookId: r.webhook_id, eventId: r.event_id, eventType: r.event_type, status: r.status as DeliveryStatus,
  attempts: r.attempts, nextAttemptAt: new Date(r.next_attempt_at), ...(r.last_status !== null ? { lastStatus: r.last_status } : {}),
  ...(r.last_error !== null ? { lastError: r.last_error } : {}), createdAt: new Date(r.created_at), ...(r.finished_at ? { finishedAt: new Date(r.finished_at) } : {}),
});

const WEBHOOK_COLUMNS = ['id', 'url', 'description', 'event_types', 'lab_id', 'enabled', 'disabled_reason', 'failing_since', 'created_at', 'updated_at'];
const DELIVERY_COLUMNS = ['d.id', 'd.webhook_id', 'e.id as event_id', 'e.type as event_type', 'd.status', 'd.attempts', 'd.next_attempt_at', 'd.last_status', 'd.last_error', 'd.created_at', 'd.finished_at'];

export function createWebhookRepository(db: Database): WebhookRepository {
  const scoped = (labId: string | undefined) => {
    const query = db('webhooks');
    if (labId !== undefined) query.where('lab_id', labId);
    return query;
  };
  return {
    async insert(w) {
      await db('webhooks').insert({ id: w.id, url: w.url, description: w.description ?? null, event_types: w.eventTypes, lab_id: w.labId ?? null, secret: w.secret });
    },
    async find(id, labId) {
      const row = await scoped(labId).select(WEBHOOK_COLUMNS).where('id', id).first() as WebhookRow | undefined;
      return row && toWebhook(row);
    },
    async list(labId, paging): Promise<Page<WebhookRecord>> {
      const [{ total }] = await scoped(labId).count({ total: '*' }) as Array<{ total: string | number }>;
      const rows = await scoped(labId).select(WEBHOOK_COLUMNS).orderBy('created_at').orderBy('id').limit(paging.limit).offset(paging.offset) as WebhookRow[];
      return { items: rows.map(toWebhook), total: Number(total) };
    },
    async update(id, change) {
      const patch: Record<string, unknown> = { updated_at: db.fn.now() };
      if (change.url !== undefined) patch.url = change.url;
      if (change.description !== undefined) patch.description = change.description;
      if (change.eventTypes !== undefined) patch.event_types = change.eventTypes;
      if (change.enabled !== undefined) patch.enabled = change.enabled;
      if (change.enabled === true) patch.failing_since = null;
      if (change.disabledReason !== undefined) patch.disabled_reason = change.disabledReason;
      return affectedRows(await db('webhooks').where('id', id).update(patch)) > 0;
    },
    async delete(id) {
      return affectedRows(await db('webhooks').where('id', id).delete()) > 0;
    },
    async anySubscription() {
      return (await db('webhooks').first(db.raw('1 AS one'))) !== undefined;
    },
    async enqueueFor(events) {
      if (events.length === 0) return;
      // One statement per batch (not a query per event): the fan-out keeps up with the relay.
      // A relay batch is every event between its first and last position, so a range selects it.
      await db.raw(`
        INSERT INTO webhook_deliveries (webhook_id, event_seq, subject)
        SELECT w.id, e.seq, e.subject FROM events e JOIN webhooks w ON
          -- A disabled subscription still queues: enabling it again delivers what it missed.
           (w.event_types = '{}' OR e.type = ANY(w.event_types))
          AND (w.lab_id IS NULL OR w.lab_id = ANY(e.lab_ids))
        WHERE e.seq BETWEEN ? AND ?
        ORDER BY e.seq, w.id
        ON CONFLICT (webhook_id, event_seq) DO NOTHING`, [events[0]!.seq, events.at(-1)!.seq]);
    },
    async claimDue(now, limit, leaseUntil): Promise<ClaimedDelivery[]> {
      // Every node asks every 200 ms and mostly finds nothing: one plain query says so, instead of
      // a transaction of three (a broader condition than the claim's, so it never hides a due delivery).
      if (!(await db('webhook_deliveries').where('status', 'pending').where('next_attempt_at', '<=', now).first(db.raw('1 AS one')))) return [];
      return db.transaction(async (trx) => {
        const { rows } = await trx.raw(`
          WITH heads AS (
            SELECT DISTINCT ON (d.webhook_id, d.subject) d.id
            FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id AND w.enabled
            WHERE d.status = 'pending'
            ORDER BY d.webhook_id, d.subject, d.event_seq
          )
          SELECT d.id FROM webhook_deliveries d
          WHERE d.id IN (SELECT id FROM heads) AND d.next_attempt_at <= ? AND (d.leased_until IS NULL OR d.leased_until < ?)
          ORDER BY d.event_seq LIMIT ? FOR UPDATE OF d SKIP LOCKED`, [now, now, limit]) as { rows: Array<{ id: string | number }> };
        if (rows.length === 0) return [];
        const ids = rows.map((r) => r.id);
        await trx('webhook_deliveries').whereIn('id', ids).update({ leased_until: leaseUntil, attempts: trx.raw('attempts + 1') });
        const claimed = await trx('webhook_deliveries as d').join('events as e', 'e.seq', 'd.event_seq').join('webhooks as w', 'w.id', 'd.webhook_id')
          .whereIn('d.id', ids).orderBy('d.event_seq')
          .select([...DELIVERY_COLUMNS, 'w.url', 'w.secret', 'w.lab_id as webhook_lab_id', 'e.seq', 'e.occurred_at', 'e.actor', 'e.subject', 'e.lab_ids', 'e.data']) as Array<DeliveryRow & { url: string; secret: string; webhook_lab_id: string | null; seq: string; occurred_at: Date; actor: string; subject: string; lab_ids: string[]; data: unknown }>;
        return claimed.map((r) => ({
          delivery: toDelivery(r), url: r.url, secret: r.secret,
          event: toStoredEvent({ seq: r.seq, id: r.event_id, type: r.event_type, occurred_at: r.occurred_at, actor: r.actor, subject: r.subject, lab_ids: r.lab_ids, data: r.data }),
          ...(r.webhook_lab_id ? { labId: r.webhook_lab_id } : {}),
        }));
      });
    },
    async finish(deliveryIds, outcome) {
      await db('webhook_deliveries').whereIn('id', typeof deliveryIds === 'number' ? [deliveryIds] : [...deliveryIds]).update({
        status: outcome.status, leased_until: null, next_attempt_at: outcome.nextAttemptAt ?? db.fn.now(),
        last_status: outcome.lastStatus ?? null, last_error: outcome.lastError ?? null, finished_at: outcome.finishedAt ?? null,
      });
    },
    async setFailing(webhookId, since) {
      const query = db('webhooks').where('id', webhookId);
      if (since) await query.whereNull('failing_since').update({ failing_since: since });
      else await query.whereNotNull('failing_since').update({ failing_since: null });
    },
    async deliveries(webhookId, paging): Promise<Page<DeliveryRecord>> {
      const [{ total }] = await db('webhook_deliveries').where('webhook_id', webhookId).count({ total: '*' }) as Array<{ total: string | number }>;
      const rows = await db('webhook_deliveries as d').join('events as e', 'e.seq', 'd.event_seq').where('d.webhook_id', webhookId)
        .orderBy('d.id', 'desc').limit(paging.limit).offset(paging.offset).select(DELIVERY_COLUMNS) as DeliveryRow[];
      return { items: rows.map(toDelivery), total: Number(total) };
    },
    async redeliver(webhookId, deliveryId, now) {
      return affectedRows(await db('webhook_deliveries').where({ id: deliveryId, webhook_id: webhookId }).update({
        status: 'pending', attempts: 0, next_attempt_at: now, leased_until: null, finished_at: null,
      })) > 0;
    },
  };
}
