import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { Redis } from 'ioredis';

import { loadConfig } from '../../src/config/load-config.js';
import { addressKey } from '../../src/http/rate-limits/address-key.js';
import { rateLimitSettings } from '../../src/config/rate-limit-settings.js';
import { SHARE_EVERY_MS } from '../../src/storage/batched-rate-limiter.js';
import { eventually } from '../helpers/eventually.js';
import { createRateLimiters } from '../../src/storage/rate-limiters.js';

describe('unit: rate limiters and their settings', () => {
  it('counts a fixed window per key: peek spends nothing, the request past the quota is over', async () => {
    const limiter = createRateLimiters().create('unit', { points: 2, windowSeconds: 60 });
    assert.deepEqual(await limiter.peek('a'), { remaining: 2, resetSeconds: 60, exhausted: false });
    assert.equal((await limiter.spend('a')).over, false);
    const second = await limiter.spend('a');
    assert.deepEqual({ over: second.over, exhausted: second.exhausted, remaining: second.remaining }, { over: false, exhausted: true, remaining: 0 });
    assert.equal((await limiter.spend('a')).over, true);
    assert.equal((await limiter.peek('b')).exhausted, false);
  });

  it('with Redis unreachable, counts in process instead: an outage is neither a 429 for everyone nor unlimited', async () => {
    // Never connected, no offline queue: every command fails at once, as during an outage.
    const redis = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false });
    try {
      const limiter = createRateLimiters(redis).create('unit', { points: 1, windowSeconds: 60 });
      assert.equal((await limiter.spend('a')).over, false);
      assert.equal((await limiter.spend('a')).over, true);
      assert.equal((await limiter.peek('a')).exhausted, true);
    } finally {
      redis.disconnect();
    }
  });

  describe('on Redis, as two nodes sharing it', () => {
    let redis: Redis;
    before(() => {
      redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    });
    after(() => redis.disconnect());
    const twoNodes = (policy: { points: number; windowSeconds: number }) => {
      const name = `unit-${randomUUID()}`;
      return { key: `rl:${name}:k`, a: createRateLimiters(redis).create(name, policy), b: createRateLimiters(redis).create(name, policy) };
    };

    it('a large quota counts in process, with no round trip per request, and the nodes learn each other\'s counts within a share interval of using the key', async () => {
      const { key, a, b } = twoNodes({ points: 600, windowSeconds: 60 });
      for (let i = 0; i < 500; i++) assert.equal((await a.spend('k')).over, false);
      // Nothing reached Redis yet: those 500 requests cost no command.
      assert.equal(await redis.get(key), null);
      assert.equal((await b.peek('k')).remaining, 600);
      // Within a share interval and a round trip; polled, so a slow machine only waits longer.
      await eventually(async () => ((await redis.get(key)) === '500' ? true : undefined), { what: 'a\'s count in Redis' });
      await eventually(async () => ((await b.peek('k')).remaining === 100 ? true : undefined), { what: 'b learning what a spent' });
      for (let i = 0; i < 100; i++) assert.equal((await b.spend('k')).over, false);
      assert.equal((await b.spend('k')).over, true, 'b alone knows the quota is spent');
      // A node learns a key's total within a share interval of its next request with that key.
      await a.peek('k');
      await eventually(async () => ((await a.peek('k')).exhausted ? true : undefined), { what: 'a learning what b spent' });
      const onA = await a.spend('k');
      assert.equal(onA.over, true, 'a learnt what b spent');
      assert.ok(onA.resetSeconds > 50 && onA.resetSeconds <= 60, `window from Redis's TTL: ${onA.resetSeconds}`);
    });

    it('a key pushed out of a full table still adds its requests to Redis, once', async () => {
      const name = `unit-${randomUUID()}`;
      const limiter = createRateLimiters(redis, { maxKeys: 2 }).create(name, { points: 600, windowSeconds: 60 });
      for (let i = 0; i < 5; i++) await limiter.spend('first');
      await limiter.spend('second');
      await limiter.spend('third'); // evicts 'first' with its 5 requests unshared
      await eventually(async () => ((await redis.get(`rl:${name}:first`)) !== null ? true : undefined), { what: 'the evicted key shared' });
      await sleep(SHARE_EVERY_MS * 3);
      assert.equal(await redis.get(`rl:${name}:first`), '5', 'shared once, not twice');
    });

    it('a small quota (guessing protection) stays exact across nodes: no request beyond it on either', async () => {
      const { a, b } = twoNodes({ points: 3, windowSeconds: 60 });
      assert.equal((await a.spend('k')).over, false);
      assert.equal((await b.spend('k')).over, false);
      assert.equal((await a.spend('k')).over, false);
      assert.equal((await b.spend('k')).over, true);
    });

    it('a large quota keeps counting in process while Redis fails, and neither refuses nor waits', async () => {
      const down = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false });
      try {
        const limiter = createRateLimiters(down).create(`unit-${randomUUID()}`, { points: 20, windowSeconds: 1 });
        for (let i = 0; i < 20; i++) assert.equal((await limiter.spend('k')).over, false);
        await sleep(SHARE_EVERY_MS * 3);
        assert.equal((await limiter.spend('k')).over, true, 'the failed share kept the count');
      } finally {
        down.disconnect();
      }
    });
  });

  it('reads client=N,ip=N,window=S per group, refuses other forms, and turns off with GATEHOUSE_RATE_LIMITS=false', () => {
    const limits = rateLimitSettings(loadConfig({ GATEHOUSE_RATE_LIMIT_TOKEN: 'client=10,ip=5,window=30' }, '/nonexistent'));
    assert.deepEqual(limits?.token, { client: { points: 10, windowSeconds: 30 }, ip: { points: 5, windowSeconds: 30 } });
    assert.deepEqual(limits?.login, { client: undefined, ip: { points: 120, windowSeconds: 60 } });
    assert.throws(() => loadConfig({ GATEHOUSE_RATE_LIMIT_LOGIN: 'client=1,ip=5,window=30' }, '/nonexistent'), /GATEHOUSE_RATE_LIMIT_LOGIN/);
    assert.throws(() => loadConfig({ GATEHOUSE_RATE_LIMIT_TOKEN: '100/60' }, '/nonexistent'), /GATEHOUSE_RATE_LIMIT_TOKEN/);
    assert.equal(rateLimitSettings(loadConfig({ GATEHOUSE_RATE_LIMITS: 'false' }, '/nonexistent')), undefined);
  });
});

describe('unit: the rate-limit key of an address', () => {
  it('keeps IPv4 (also IPv4-mapped) and groups IPv6 by its /64', () => {
    assert.equal(addressKey('203.0.113.7'), 'ip:203.0.113.7');
    assert.equal(addressKey('::ffff:203.0.113.7'), 'ip:203.0.113.7');
    assert.equal(addressKey('2001:db8:1:2:aaaa::1'), 'ip6:2001:db8:1:2::/64');
    assert.equal(addressKey('2001:DB8:1:2:ffff:ffff:ffff:ffff'), 'ip6:2001:db8:1:2::/64');
    assert.equal(addressKey('2001:db8::1'), 'ip6:2001:db8:0:0::/64');
    assert.equal(addressKey('::1'), 'ip6:0:0:0:0::/64');
  });
});
