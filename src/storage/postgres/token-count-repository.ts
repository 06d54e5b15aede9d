import { affectedRows } from './affected-rows.js';
import type { Database } from './database.js';

import type { Bucket, BucketCount, TokenCount, TokenCountRepository, TokenWindows } from '../../domain/ports/token-count-repository.js';

/** Hourly counts of access tokens issued, per client. */
export function createTokenCountRepository(db: Database): TokenCountRepository {
  return {
    /** Adds counts in one statement; rows for the same client and hour add up (several nodes flush into one row). */
    async add(counts: ReadonlyArray<TokenCount>): Promise<void> {
      if (!counts.length) return;
      await db('token_issuance')
        .insert(counts.map((c) => ({ client_id: c.clientId, hour: c.hour, count: c.count })))
        .onConflict(['client_id', 'hour'])
        .merge({ count: db.raw('token_issuance.count + excluded.count') });
    },

    /**
     * Sums per client over windows that start at the hour bucket holding `now - window`: each
     * window is rounded out to whole hours (lastHour covers 60–120 minutes).
     */
    async windows(now: Date, clientIds?: ReadonlyArray<string>): Promise<TokenWindows[]> {
      const bucket = (msAgo: number) => new Date(Math.floor((now.getTime() - msAgo) / 3_600_000) * 3_600_000);
      const hour = 3_600_000;
      const query = db('token_issuance')
        .select('client_id')
        .select(db.raw('coalesce(sum(count) FILTER (WHERE hour >= ?), 0)::bigint as last_hour', [bucket(hour)]))
        .select(db.raw('coalesce(sum(count) FILTER (WHERE hour >= ?), 0)::bigint as last_day', [bucket(24 * hour)]))
        .select(db.raw('sum(count)::bigint as last_30_days'))
        .where('hour', '>=', bucket(30 * 24 * hour))
        .groupBy('client_id')
        .orderBy('client_id');
      if (clientIds) query.whereIn('client_id', [...clientIds]);
      const rows = await query as Array<Record<string, unknown>>;
      return rows.map((r) => ({ clientId: r.client_id as string, lastHour: Number(r.last_hour), lastDay: Number(r.last_day), last30Days: Number(r.last_30_days) }));
    },

    async series(from: Date, bucket: Bucket): Promise<BucketCount[]> {
      const rows = await db('token_issuance')
        .select('client_id', db.raw("date_trunc(?, hour, 'UTC') as at", [bucket]))
        .sum({ count: 'count' })
        .where('hour', '>=', from)
        .groupBy('client_id', 'at')
        .orderBy([{ column: 'at' }, { column: 'client_id' }]) as Array<Record<string, unknown>>;
      return rows.map((r) => ({ clientId: r.client_id as string, at: new Date(r.at as string | Date), count: Number(r.count) }));
    },

    async deleteBefore(hour: Date): Promise<number> {
      return affectedRows(await db('token_issuance').where('hour', '<', hour).delete());
    },
  };
}
