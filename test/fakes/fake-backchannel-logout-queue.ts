import type { BackchannelLogoutQueue, PendingLogout } from '../../src/domain/ports/backchannel-logout-queue.js';

/** The back-channel logout queue in memory, for the sender's unit tests (the real one is a table). */
export function fakeBackchannelLogoutQueue(): BackchannelLogoutQueue & { size(): number } {
  const rows = new Map<number, PendingLogout & { due: number; leasedUntil: number }>();
  let nextId = 1;
  return {
    async enqueue(logouts) {
      for (const logout of logouts) {
        const id = nextId++;
        rows.set(id, { ...logout, id, attempts: 0, due: 0, leasedUntil: 0 });
      }
    },
    async claimDue(now, limit, leaseUntil) {
      const due = [...rows.values()].filter((r) => r.due <= now.getTime() && r.leasedUntil < now.getTime()).slice(0, limit);
      for (const row of due) Object.assign(row, { attempts: row.attempts + 1, leasedUntil: leaseUntil.getTime() });
      return due.map(({ due: _due, leasedUntil: _lease, ...logout }) => ({ ...logout }));
    },
    async remove(id) {
      rows.delete(id);
    },
    async retryAt(id, at) {
      const row = rows.get(id);
      if (row) Object.assign(row, { due: at.getTime(), leasedUntil: 0 });
    },
    size: () => rows.size,
  };
}
