import assert from 'node:assert/strict';

import { createStatistics } from '../../src/domain/management/statistics.js';
import { createMemoryStore } from '../../src/storage/memory/memory-store.js';
import { createFakeStorage } from '../fakes/fake-storage.js';
import { createSeeder } from '../fakes/seed.js';

const sessionsKey = (accountId: string) => `account-sessions:${accountId}`;

async function setup() {
  const storage = createFakeStorage();
  const store = createMemoryStore({ clock: storage.clock });
  const calls: string[] = [];
  const statistics = createStatistics({
    statistics: storage.repos.statistics,
    tokenCounts: { windows: async (now) => (calls.push('windows'), storage.repos.tokenCounts.windows(now)) },
    tokenIssuance: { flush: async () => void calls.push('flush') },
    store,
    sessionsKey,
  });
  const seed = createSeeder(storage);
  seed.lab('lab-a');
  seed.lab('lab-b', { status: 'suspended' });
  seed.user({ username: 'bob' });
  seed.member('lab-a', 'u-bob');
  seed.user({ username: 'carol', status: 'blocked' });
  const live = Math.floor(Date.now() / 1000) + 3600;
  const session = async (key: string, payload: Record<string, unknown>) => {
    await store.setJson(key, payload);
    await store.addToSet(sessionsKey(payload.accountId as string), key, 3600);
  };
  await session('s:1', { uid: 'one', accountId: 'u-bob', exp: live });
  // The same session under a second key (oidc-provider rotates the storage id) counts once.
  await session('s:1b', { uid: 'one', accountId: 'u-bob', exp: live });
  await session('s:2', { uid: 'two', accountId: 'u-carol', exp: live });
  await session('s:3', { uid: 'three', accountId: 'u-carol', exp: 1 });
  await storage.repos.tokenCounts.add([{ clientId: 'portal', hour: new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000), count: 3 }]);
  return { statistics, calls };
}

describe('unit: statistics', () => {
  it('counts users, labs and live sessions (each once), and token windows after flushing this node\'s counts', async () => {
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
