import assert from 'node:assert/strict';

import { createStatistics } from '../../src/domain/management/statistics.js';
import { createFakeSessionDirectory } from '../fakes/fake-session-directory.js';
import { createFakeStorage } from '../fakes/fake-storage.js';
import { createSeeder } from '../fakes/seed.js';

async function setup() {
  const storage = createFakeStorage();
  const sessions = createFakeSessionDirectory(storage.clock);
  const calls: string[] = [];
  const statistics = createStatistics({
    statistics: storage.repos.statistics,
    tokenCounts: { windows: async (now) => (calls.push('windows'), storage.repos.tokenCounts.windows(now)), series: storage.repos.tokenCounts.series },
    tokenIssuance: { flush: async () => void calls.push('flush') },
    sessions,
  });
  const seed = createSeeder(storage);
  seed.lab('lab-a');
  seed.lab('lab-b', { status: 'suspended' });
  seed.user({ username: 'bob' });
  seed.member('lab-a', 'u-bob');
  seed.user({ username: 'carol', status: 'blocked' });
  const now = storage.clock.now().getTime();
  const session = (accountId: string, id: string, expiresInMs: number) =>
    sessions.add(accountId, { id, loginAt: new Date(now - 1000), expiresAt: new Date(now + expiresInMs), clients: [], grantOf: {} });
  session('u-bob', 'one', 3_600_000);
  session('u-carol', 'two', 3_600_000);
  session('u-carol', 'three', -1);
  await storage.repos.tokenCounts.add([{ clientId: 'portal', hour: new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000), count: 3 }]);
  return { statistics, calls };
}

describe('unit: statistics', () => {
  it('counts users, labs and live sessions, and token windows after flushing this node\'s counts', async () => {
    const { statistics, calls } = await setup();
    const read = await statistics.read();
    assert.deepEqual(read.users, { total: 2, active: 1, blocked: 1 });
    assert.deepEqual(read.labs, { total: 2, active: 1, suspended: 1 });
    assert.equal(read.activeSessions, 2);
    assert.deepEqual(read.tokensIssued?.map((w) => [w.clientId, w.lastDay]), [['portal', 3]]);
    assert.deepEqual(calls, ['flush', 'windows']);
  });

  it('confines a lab admin to their lab\'s members and the lab itself, without token counts', async () => {
    const { statistics, calls } = await setup();
    const read = await statistics.read('lab-a');
    assert.deepEqual(read, { users: { total: 1, active: 1, blocked: 0 }, labs: { total: 1, active: 1, suspended: 0 }, activeSessions: 1 });
    assert.deepEqual(calls, []);
  });
});
