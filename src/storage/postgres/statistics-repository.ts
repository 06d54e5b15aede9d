import type { Database } from './database.js';

import type { LabCounts, StatisticsRepository, UserCounts } from '../../domain/ports/statistics-repository.js';
import type { Bucket, BucketCount } from '../../domain/ports/token-count-repository.js';

/** Counts for /statistics. `labId` confines them to one lab (its members, and the lab itself). */
export function createStatisticsRepository(db: Database): StatisticsRepository {
  return {
    async userCounts(labId?: string): Promise<UserCounts> {
      const query = db('users')
        .select(db.raw('count(*)::bigint as total'))
        .select(db.raw("count(*) FILTER (WHERE status = 'active')::bigint as active"))
        .select(db.raw("count(*) FILTER (WHERE status = 'blocked')::bigint as blocked"));
      if (labId !== undefined) query.whereIn('id', db('memberships').select('user_id').where('lab_id', labId));
      const [row] = await query as Array<Record<string, unknown>>;
      return { total: Number(row?.total ?? 0), active: Number(row?.active ?? 0), blocked: Number(row?.blocked ?? 0) };
    },

    async labCounts(labId?: string): Promise<LabCounts> {
      const query = db('labs')
        .select(db.raw('count(*)::bigint as total'))
        .select(db.raw("count(*) FILTER (WHERE status = 'active')::bigint as active"))
        .select(db.raw("count(*) FILTER (WHERE status = 'suspended')::bigint as suspended"));
      if (labId !== undefined) query.where('id', labId);
      const [row] = await query as Array<Record<string, unknown>>;
      return { total: Number(row?.total ?? 0), active: Number(row?.active ?? 0), suspended: Number(row?.suspended ?? 0) };
    },

    async memberIds(labId: string): Promise<string[]> {
      return db('memberships').where('lab_id', labId).orderBy('user_id').pluck('user_id');
    },

    async signIns(from: Date, bucket: Bucket): Promise<BucketCount[]> {
      const rows = await db('audit_log')
        .select(db.raw("coalesce(details->>'client_id', '') as client_id"), db.raw("date_trunc(?, at, 'UTC') as bucket", [bucket]))
        .count({ count: '*' })
        .where('action', 'login.succeeded')
        .where('at', '>=', from)
        .groupByRaw('1, 2')
        .orderByRaw('2, 1') as Array<Record<string, unknown>>;
      return rows.map((r) => ({ clientId: r.client_id as string, at: new Date(r.bucket as string | Date), count: Number(r.count) }));
    },

    /** Whether the user belongs to the lab (any membership status): what makes them a lab admin's to see. */
    async isMember(labId: string, userId: string): Promise<boolean> {
      return Boolean(await db('memberships').first('user_id').where({ lab_id: labId, user_id: userId }));
    },
  };
}
