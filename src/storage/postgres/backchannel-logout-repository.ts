import type { BackchannelLogoutQueue, PendingLogout } from '../../domain/ports/backchannel-logout-queue.js';
import type { Database } from './database.js';

export function createBackchannelLogoutRepository(db: Database): BackchannelLogoutQueue {
  return {
    async enqueue(logouts) {
      if (logouts.length) await db('backchannel_logouts').insert(logouts.map((l) => ({ client_id: l.clientId, account_id: l.accountId, sid: l.sid ?? null })));
    },
    async claimDue(now, limit, leaseUntil): Promise<PendingLogout[]> {
      // Asked every second by every node, mostly for nothing: one plain query says so, instead of
      // a transaction of three (a broader condition than the claim's, so it never hides a due logout).
      if (!(await db('backchannel_logouts').where('next_attempt_at', '<=', now).first(db.raw('1 AS one')))) return [];
      return db.transaction(async (trx) => {
        const rows = await trx('backchannel_logouts').where('next_attempt_at', '<=', now)
          .andWhere((q) => { q.whereNull('leased_until').orWhere('leased_until', '<', now); })
          .orderBy('id').limit(limit).forUpdate().skipLocked()
          .select('id', 'client_id', 'account_id', 'sid', 'attempts') as Array<{ id: string | number; client_id: string; account_id: string; sid: string | null; attempts: number }>;
        if (rows.length) await trx('backchannel_logouts').whereIn('id', rows.map((r) => r.id)).update({ leased_until: leaseUntil, attempts: trx.raw('attempts + 1') });
        return rows.map((r) => ({ id: Number(r.id), clientId: r.client_id, accountId: r.account_id, ...(r.sid ? { sid: r.sid } : {}), attempts: r.attempts + 1 }));
      });
    },
    async remove(id) {
      await db('backchannel_logouts').where('id', id).delete();
    },
    async retryAt(id, at) {
      await db('backchannel_logouts').where('id', id).update({ leased_until: null, next_attempt_at: at });
    },
  };
}
