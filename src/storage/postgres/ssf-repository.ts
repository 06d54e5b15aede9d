import type { PendingSet, SsfRepository, SsfStream } from '../../domain/ports/ssf-repository.js';
import { affectedRows } from './affected-rows.js';
import type { Database } from './database.js';

interface StreamRow {
  id: string; client_id: string; events_requested: string[]; delivery_method: string; endpoint_url: string | null; authorization_header: string | null;
  description: string | null; status: string; reason: string | null; created_at: Date;
}

const toStream = (r: StreamRow): SsfStream => ({
  id: r.id, clientId: r.client_id, eventsRequested: r.events_requested ?? [], deliveryMethod: r.delivery_method as SsfStream['deliveryMethod'],
  ...(r.endpoint_url ? { endpointUrl: r.endpoint_url } : {}), ...(r.authorization_header ? { authorizationHeader: r.authorization_header } : {}),
  ...(r.description ? { description: r.description } : {}), status: r.status as SsfStream['status'], ...(r.reason ? { reason: r.reason } : {}),
  createdAt: new Date(r.created_at),
});

export function createSsfRepository(db: Database): SsfRepository {
  return {
    async insertStream(s) {
      await db('ssf_streams').insert({
        id: s.id, client_id: s.clientId, events_requested: s.eventsRequested, delivery_method: s.deliveryMethod,
        endpoint_url: s.endpointUrl ?? null, authorization_header: s.authorizationHeader ?? null, description: s.description ?? null,
      });
    },
    async findStream(id, clientId) {
      const query = db('ssf_streams').where('id', id);
      if (clientId !== undefined) query.where('client_id', clientId);
      const row = await query.first() as StreamRow | undefined;
      return row && toStream(row);
    },
    async streamsOf(clientId) {
      return ((await db('ssf_streams').where('client_id', clientId).orderBy('created_at').orderBy('id')) as StreamRow[]).map(toStream);
    },
    async updateStream(id, change) {
      const patch: Record<string, unknown> = { updated_at: db.fn.now() };
      if (change.eventsRequested !== undefined) patch.events_requested = change.eventsRequested;
      if (change.endpointUrl !== undefined) patch.endpoint_url = change.endpointUrl;
      if (change.authorizationHeader !== undefined) patch.authorization_header = change.authorizationHeader;
      if (change.description !== undefined) patch.description = change.description;
      if (change.status !== undefined) patch.status = change.status;
      if (change.reason !== undefined) patch.reason = change.reason;
      await db('ssf_streams').where('id', id).update(patch);
    },
    async deleteStream(id) {
      return affectedRows(await db('ssf_streams').where('id', id).delete()) > 0;
    },
    async anyStreamTaking() {
      return (await db('ssf_streams').whereIn('status', ['enabled', 'paused']).first(db.raw('1 AS one'))) !== undefined;
    },
    async streamsWanting(uri) {
      return ((await db('ssf_streams').whereIn('status', ['enabled', 'paused']).whereRaw('? = ANY(events_requested)', [uri]).orderBy('id')) as StreamRow[]).map(toStream);
    },
    async enqueue(sets) {
      if (sets.length) await db('ssf_sets').insert(sets.map((s) => ({ stream_id: s.streamId, jti: s.jti, token: s.token }))).onConflict(['stream_id', 'jti']).ignore();
    },
    async claimPush(now, limit, leaseUntil): Promise<PendingSet[]> {
      // Every node asks every 200 ms and mostly finds nothing: one plain query says so, instead of
      // a transaction of three (a broader condition than the claim's, so it never hides a due SET).
      if (!(await db('ssf_sets').where('status', 'pending').where('next_attempt_at', '<=', now).first(db.raw('1 AS one')))) return [];
      return db.transaction(async (trx) => {
        const rows = await trx('ssf_sets as e').join('ssf_streams as s', 's.id', 'e.stream_id')
          .where('s.delivery_method', 'push').where('s.status', 'enabled').where('e.status', 'pending').where('e.next_attempt_at', '<=', now)
          .andWhere((q) => { q.whereNull('e.leased_until').orWhere('e.leased_until', '<', now); })
          .orderBy('e.id').limit(limit).forUpdate('e').skipLocked()
          .select('e.id', 'e.stream_id', 'e.jti', 'e.token', 'e.attempts', 's.endpoint_url', 's.authorization_header') as Array<{
            id: string | number; stream_id: string; jti: string; token: string; attempts: number; endpoint_url: string | null; authorization_header: string | null;
          }>;
        if (rows.length) await trx('ssf_sets').whereIn('id', rows.map((r) => r.id)).update({ leased_until: leaseUntil, attempts: trx.raw('attempts + 1') });
        return rows.map((r) => ({
          id: Number(r.id), streamId: r.stream_id, jti: r.jti, token: r.token, attempts: r.attempts + 1,
          ...(r.endpoint_url ? { endpointUrl: r.endpoint_url } : {}), ...(r.authorization_header ? { authorizationHeader: r.authorization_header } : {}),
        }));
      });
    },
    async finishPush(id, outcome) {
      if (outcome.delivered) await db('ssf_sets').where('id', id).delete();
      else await db('ssf_sets').where('id', id).update({ status: outcome.failed ? 'failed' : 'pending', leased_until: null, next_attempt_at: outcome.nextAttemptAt ?? db.fn.now(), last_error: outcome.lastError ?? null });
    },
    async pollable(streamId, max) {
      return db('ssf_sets').where({ stream_id: streamId, status: 'pending' }).orderBy('id').limit(max).select('jti', 'token') as Promise<Array<{ jti: string; token: string }>>;
    },
    async acknowledge(streamId, jtis) {
      if (!jtis.length) return 0;
      return affectedRows(await db('ssf_sets').where('stream_id', streamId).whereIn('jti', [...jtis]).delete());
    },
    async deleteSetsBefore(time) {
      return affectedRows(await db('ssf_sets').where('created_at', '<', time).delete());
    },
  };
}
