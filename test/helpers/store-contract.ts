import { strict as assert } from 'node:assert';

import type { Store } from '../../src/domain/ports/store.js';
import { eventually } from './eventually.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Polls until `gone` holds; resolves with the ms elapsed since `since`. */
const elapsedUntil = async (since: number, gone: () => Promise<boolean>) => eventually(async () => ((await gone()) ? Date.now() - since : undefined), { timeoutMs: 5000, what: 'expiry' });
// TTLs are fractional seconds, honoured to the millisecond; expiry is waited for by polling.
const TTL = 0.3;

/**
 * One contract, every implementation: the embedded twin must behave as Redis does, and Redis as a
 * single server, behind Sentinel or as a Cluster. `create` gives a fresh, empty store.
 */
export function describeStoreContract(name: string, create: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await create();
    });
    afterEach(async () => {
      await store.flush();
      await store.close();
    });

    it('stores JSON by key and returns copies', async () => {
      await store.setJson('a', { n: 1, list: [1, 2] });
      const first = await store.getJson<{ n: number; list: number[] }>('a');
      assert.deepEqual(first, { n: 1, list: [1, 2] });
      first!.list.push(3);
      assert.deepEqual(await store.getJson('a'), { n: 1, list: [1, 2] });
      assert.equal(await store.getJson('missing'), undefined);
      await store.delete(['a']);
      assert.equal(await store.getJson('a'), undefined);
    });

    it('deletes several keys at once (in a Cluster they lie in different slots)', async () => {
      const keys = Array.from({ length: 12 }, (_, i) => `several:${i}`);
      for (const key of keys) await store.setJson(key, key);
      await store.addToSet('several:set', 'x', 60);
      await store.delete([...keys, 'several:set', 'several:missing']);
      for (const key of keys) assert.equal(await store.getJson(key), undefined, key);
      assert.deepEqual(await store.setMembers('several:set'), []);
      await store.delete([]);
    });

    it('expires keys after their TTL, not before (fractional seconds, to the millisecond)', async () => {
      const since = Date.now();
      await store.setJson('short', 'x', TTL);
      assert.equal(await store.getJson('short'), 'x');
      const elapsed = await elapsedUntil(since, async () => (await store.getJson('short')) === undefined);
      assert.ok(elapsed >= TTL * 1000, `gone after ${elapsed} ms`);
    });

    it('increment: concurrent increments all count, in a window that later increments do not extend', async () => {
      const since = Date.now();
      const counts = await Promise.all(Array.from({ length: 20 }, () => store.increment('counter', TTL)));
      assert.deepEqual([...counts].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1));
      await sleep(50);
      assert.equal(await store.increment('counter', TTL), 21);
      // Each poll increments again: were the window extended by later increments, it would never end.
      const elapsed = await elapsedUntil(since, async () => (await store.increment('counter', TTL)) === 1);
      assert.ok(elapsed >= TTL * 1000, `the window started at the first increment, ended after ${elapsed} ms`);
    });

    it('claim: exactly one of many concurrent callers wins, until the claim expires', async () => {
      const since = Date.now();
      const results = await Promise.all(Array.from({ length: 20 }, () => store.claim('lock', TTL)));
      assert.equal(results.filter(Boolean).length, 1);
      const elapsed = await elapsedUntil(since, () => store.claim('lock', TTL));
      assert.ok(elapsed >= TTL * 1000, `claimable again after ${elapsed} ms`);
    });

    it('sets gather members', async () => {
      await store.addToSet('s', 'x', 60);
      await store.addToSet('s', 'y', 60);
      await store.addToSet('s', 'x', 60);
      assert.deepEqual((await store.setMembers('s')).sort(), ['x', 'y']);
      assert.deepEqual(await store.setMembers('none'), []);
    });

    it('a set lives as long as its longest-lived member: a shorter add does not shorten it, a longer one extends it', async () => {
      const since = Date.now();
      await store.addToSet('shortened', 'long', 60);
      await store.addToSet('shortened', 'short', TTL);
      await store.addToSet('extended', 'short', TTL);
      await store.addToSet('extended', 'long', 60);
      await store.addToSet('alone', 'short', TTL);
      const elapsed = await elapsedUntil(since, async () => (await store.setMembers('alone')).length === 0);
      assert.ok(elapsed >= TTL * 1000, `the short-lived set went after ${elapsed} ms`);
      assert.deepEqual((await store.setMembers('shortened')).sort(), ['long', 'short']);
      assert.deepEqual((await store.setMembers('extended')).sort(), ['long', 'short']);
    });

    it('expiring sets: each member expires on its own, after its TTL and not before; re-adding moves its expiry', async () => {
      const since = Date.now();
      await store.addExpiring('live', 'short', TTL);
      await store.addExpiring('live', 'long', 60);
      await store.addExpiring('live', 'moved', TTL);
      await store.addExpiring('live', 'moved', 60);
      await store.addExpiring('live', 'shortened', 60);
      await store.addExpiring('live', 'shortened', TTL);
      assert.equal(await store.countExpiring('live'), 4);
      const elapsed = await elapsedUntil(since, async () => (await store.countExpiring('live')) === 2);
      assert.ok(elapsed >= TTL * 1000, `two gone after ${elapsed} ms`);
      assert.equal(await store.countExpiring('live', ['short', 'long', 'moved', 'shortened']), 2, 'long and moved are live');
      // A member added after others expired (Redis prunes expired members on add) still counts once.
      await store.addExpiring('live', 'short', 60);
      assert.equal(await store.countExpiring('live'), 3);
      assert.equal(await store.countExpiring('none'), 0);
      assert.equal(await store.countExpiring('none', ['short']), 0);
    });

    it('expiring sets: removed members no longer count; counting among members counts each live one once', async () => {
      for (const member of ['a', 'b', 'c', 'd']) await store.addExpiring('live', member, 60);
      await store.removeExpiring('live', ['b', 'missing']);
      await store.removeExpiring('live', []);
      assert.equal(await store.countExpiring('live'), 3);
      assert.equal(await store.countExpiring('live', ['a', 'a', 'b', 'd', 'unknown']), 2);
      assert.equal(await store.countExpiring('live', []), 0);
      // More members than one read carries (Redis reads them in chunks).
      const many = Array.from({ length: 1100 }, (_, i) => `m${i}`);
      await Promise.all(many.map((member) => store.addExpiring('many', member, 60)));
      assert.equal(await store.countExpiring('many'), 1100);
      assert.equal(await store.countExpiring('many', [...many.slice(0, 1050), 'x', 'y']), 1050);
      await store.delete(['live']);
      assert.equal(await store.countExpiring('live'), 0);
    });

    it('revocation copy: untrusted until loaded, authoritative once loaded, untrusted again after flush or stale mark', async () => {
      const soon = Math.floor(Date.now() / 1000) + 60;
      const jti = { kind: 'jti' as const, value: 'j1' };
      assert.equal(await store.checkRevocations([jti]), undefined, 'never loaded: ask Postgres');
      await store.addRevocations([{ ...jti, expiresAt: soon }]);
      assert.equal(await store.markRevocationsLoaded(await store.beginRevocationsLoad()), true);
      assert.equal(await store.checkRevocations([jti]), true);
      assert.equal(await store.checkRevocations([{ kind: 'jti', value: 'other' }]), false);
      assert.equal(await store.checkRevocations([{ kind: 'grant', value: 'j1' }]), false, 'kinds are separate');
      await store.markRevocationsStale();
      assert.equal(await store.checkRevocations([jti]), undefined);
      await store.markRevocationsLoaded(await store.beginRevocationsLoad());
      await store.flush();
      assert.equal(await store.checkRevocations([jti]), undefined, 'a flush loses the copy and says so');
    });

    it('a reload interrupted by a flush or a stale mark does not mark the copy complete', async () => {
      const flushed = await store.beginRevocationsLoad();
      await store.flush();
      assert.equal(await store.markRevocationsLoaded(flushed), false);
      assert.equal(await store.checkRevocations([{ kind: 'jti', value: 'x' }]), undefined);
      const staled = await store.beginRevocationsLoad();
      await store.markRevocationsStale();
      assert.equal(await store.markRevocationsLoaded(staled), false);
      assert.equal(await store.checkRevocations([{ kind: 'jti', value: 'x' }]), undefined);
      const superseded = await store.beginRevocationsLoad();
      const current = await store.beginRevocationsLoad();
      assert.equal(await store.markRevocationsLoaded(superseded), false);
      assert.equal(await store.markRevocationsLoaded(current), true);
    });

    it('revocation entries disappear when the token they cover has expired', async () => {
      const since = Date.now();
      await store.addRevocations([{ kind: 'jti', value: 'old', expiresAt: since / 1000 + TTL }]);
      await store.markRevocationsLoaded(await store.beginRevocationsLoad());
      assert.equal(await store.checkRevocations([{ kind: 'jti', value: 'old' }]), true);
      const elapsed = await elapsedUntil(since, async () => (await store.checkRevocations([{ kind: 'jti', value: 'old' }])) === false);
      assert.ok(elapsed >= TTL * 1000, `gone after ${elapsed} ms`);
    });
  });
}
