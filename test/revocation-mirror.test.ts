import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';

import type { RevocationEntry, Store } from '../src/domain/ports/store.js';
import { createRevocationList, MIRROR_LEASE_MS, type RevocationListDeps } from '../src/oidc/revocation-list.js';
import { createRedisStore } from '../src/storage/redis/redis-store.js';
import { mode, serverUrls, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';

/**
 * Each process's own copy of the revocations (src/oidc/revocation-mirror.ts) against real Redis
 * and Postgres: several "processes" here are revocation lists with their own Redis connections
 * on one deployment's prefix, sharing its database.
 */
(mode === 'servers' ? describe : describe.skip)('every process keeps its own copy of the revocations, never answering "not revoked" for an acknowledged revocation (servers)', function () {
  this.timeout(60_000);
  let gh: TestGatehouse;
  const opened: Array<{ close(): Promise<void> }> = [];
  before(async () => {
    gh = await startTestGatehouse();
  });
  after(async () => {
    for (const item of opened.reverse()) await item.close().catch(() => {});
    await gh?.stop();
  });

  /** A server process: its own Redis connection, the deployment's database; `redisChecks` counts the round trips its checks made. */
  const node = async (options: Partial<RevocationListDeps> = {}) => {
    const store = await createRedisStore(serverUrls.redis!, gh.config.redisKeyPrefix);
    opened.push(store);
    let redisChecks = 0;
    const counting: Store = Object.assign(Object.create(store) as Store, {
      checkRevocations: (entries: Parameters<Store['checkRevocations']>[0]) => {
        redisChecks += 1;
        return store.checkRevocations(entries);
      },
    });
    const list = createRevocationList({
      repository: gh.gatehouse.storage.repos.revocations, store: counting,
      mirror: { marginMs: 250, maxEntries: 1000, onError: () => {} }, ...options,
    });
    opened.push(list);
    await list.warm();
    return { list, store, redisChecks: () => redisChecks };
  };
  const jti = (): RevocationEntry => ({ kind: 'jti', value: randomUUID(), expiresAt: Math.floor(Date.now() / 1000) + 600 });

  it('a revocation acknowledged by one process is revoked at once in every other, answered from their own copies', async () => {
    const [a, b] = [await node(), await node()];
    for (let i = 0; i < 30; i++) {
      const entry = jti();
      assert.equal(await b.list.isRevoked([entry]), false);
      await a.list.revoke([entry]);
      assert.equal(await b.list.isRevoked([entry]), true, `revocation ${i}: B says revoked as soon as A acknowledged it`);
      assert.equal(await a.list.isRevoked([entry, jti()]), true);
    }
    assert.equal(b.redisChecks(), 0, 'no check went to Redis');
    assert.equal(a.redisChecks(), 0);
    // The shared copy and the database have it too: a process without its own copy agrees.
    const plain = createRevocationList({ repository: gh.gatehouse.storage.repos.revocations, store: b.store });
    const entry = jti();
    await a.list.revoke([entry]);
    assert.equal(await plain.isRevoked([entry]), true);
  });

  it('a process that stops following (killed, partitioned) holds a revocation back at most one lease, then the revocation stands everywhere', async () => {
    const [a, b] = [await node(), await node()];
    // A killed process: it took a lease, applies nothing and never gives the lease back.
    const broadcast = b.store.revocationBroadcast!;
    assert.equal(await broadcast.renew('killed-process', await broadcast.position(), MIRROR_LEASE_MS), 'renewed');
    const entry = jti();
    const started = Date.now();
    await a.list.revoke([entry]);
    const waited = Date.now() - started;
    assert.ok(waited >= MIRROR_LEASE_MS / 2 && waited <= MIRROR_LEASE_MS + 1000, `waited ${waited} ms for the lost process's lease to run out`);
    assert.equal(await b.list.isRevoked([entry]), true);
    // The lost process's lease is gone now, and one that stops cleanly gives its lease back: the next revocation is not held back.
    const leaving = await node();
    await leaving.list.close();
    const next = Date.now();
    await a.list.revoke([jti()]);
    assert.ok(Date.now() - next < MIRROR_LEASE_MS / 2, 'no lease left to wait for');
  });

  it('a copy found incomplete starts a new epoch: every process loads again, and revocations wait out the leases granted before', async () => {
    const [a, b] = [await node(), await node()];
    const before = jti();
    await a.list.revoke([before]);
    await b.store.markRevocationsStale();
    const entry = jti();
    const started = Date.now();
    await a.list.revoke([entry]);
    assert.ok(Date.now() - started >= MIRROR_LEASE_MS / 2, 'held back until leases of the old epoch ended');
    for (const list of [a.list, b.list]) {
      assert.equal(await list.isRevoked([entry]), true);
      assert.equal(await list.isRevoked([before]), true, 'reloaded from the database');
    }
    // Once reloaded, each answers from its own copy again.
    const deadline = Date.now() + 10_000;
    let fromCopy = false;
    while (!fromCopy && Date.now() < deadline) {
      const seen = b.redisChecks();
      await b.list.isRevoked([jti()]);
      fromCopy = b.redisChecks() === seen;
      if (!fromCopy) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(fromCopy, 'B answers from its reloaded copy');
  });
});
