import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';

import { Redis } from 'ioredis';

import { ConfigError, loadConfig } from '../src/config/load-config.js';
import { parseRedisUrl } from '../src/config/redis-target.js';
import { createRedisStore } from '../src/storage/redis/redis-store.js';
import { eventually } from './helpers/eventually.js';
import { backend, CMS, mode, postForm, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { startRedisCluster, startRedisSentinel, type RedisSentinelSetup, type RedisTopology } from './helpers/redis-topologies.js';
import { describeStoreContract } from './helpers/store-contract.js';
import { introspect, refresh, revoke, userTokens } from './helpers/user-tokens.js';

const prefix = () => `gh-ha-${randomBytes(4).toString('hex')}:`;

const clientToken = async (issuer: string, resource?: string) => {
  const { status, body } = await postForm(`${issuer}/token`, { grant_type: 'client_credentials', ...(resource ? { resource, scope: 'cases:read' } : {}) }, backend);
  assert.equal(status, 200, JSON.stringify(body));
  return String(body.access_token);
};

/** Client and user tokens issued, introspected, refreshed and revoked through `gh`. */
async function exerciseTokens(gh: TestGatehouse) {
  const jwt = await clientToken(gh.issuer, CMS);
  const opaque = await clientToken(gh.issuer);
  const user = await userTokens(gh.issuer, { scope: 'openid offline_access cases:read', resource: CMS });
  for (const token of [jwt, opaque]) assert.equal((await introspect(gh.issuer, token, backend)).active, true);
  assert.equal((await introspect(gh.issuer, user.access_token)).active, true);
  const refreshed = await refresh(gh.issuer, user.refresh_token!, { resource: CMS });
  assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
  for (const token of [jwt, opaque]) {
    assert.equal((await revoke(gh.issuer, token, backend)).status, 200);
    assert.equal((await introspect(gh.issuer, token, backend)).active, false, 'revoked');
  }
  return { revoked: [jwt, opaque], user: refreshed.body as { access_token: string; refresh_token: string } };
}

describe(`Redis high availability (${mode})`, () => {
  it('REDIS_URL names one server, sentinels and their master, or cluster nodes; a bad one stops start-up without echoing the password', () => {
    assert.deepEqual(parseRedisUrl('redis://:pw@127.0.0.1:6379/2'), { kind: 'server', url: 'redis://:pw@127.0.0.1:6379/2' });
    assert.deepEqual(parseRedisUrl('redis+sentinel://:p%40ss@10.0.0.1:26379,sentinel-b,[::1]:26380/mymaster/3'), {
      kind: 'sentinel', name: 'mymaster', db: 3, tls: false, credentials: { password: 'p@ss' },
      sentinels: [{ host: '10.0.0.1', port: 26379 }, { host: 'sentinel-b', port: 26379 }, { host: '::1', port: 26380 }],
    });
    assert.deepEqual(parseRedisUrl('rediss+cluster://app:pw@a:7000,b:7001'), {
      kind: 'cluster', tls: true, credentials: { username: 'app', password: 'pw' }, nodes: [{ host: 'a', port: 7000 }, { host: 'b', port: 7001 }],
    });
    for (const [url, why] of [
      ['redis+sentinel://:hunter2@a:26379', /master name/],
      ['redis+sentinel://a:26379/m/x', /database "x"/],
      ['redis+cluster://:hunter2@a:7000/0', /no path/],
      ['redis+cluster://', /at least one host/],
      ['redis+cluster://a:99999', /not host:port/],
    ] as const) {
      assert.throws(() => loadConfig({ REDIS_URL: url }), (e: unknown) => e instanceof ConfigError && e.message.includes('REDIS_URL: ') && why.test(e.message) && !e.message.includes('hunter2'), url);
    }
    assert.throws(() => loadConfig({ REDIS_URL: 'redis+memcached://app:hunter2@a' }), (e: unknown) => e instanceof ConfigError && e.message.includes('"redis+memcached://app:***@a"') && !e.message.includes('hunter2'));
    assert.throws(() => loadConfig({ DATABASE_URL: 'mysql://root:hunter2@db/x' }), (e: unknown) => e instanceof ConfigError && /DATABASE_URL = "mysql:\/\/root:\*\*\*@db\/x"/.test(e.message));
    assert.throws(() => loadConfig({ REDIS_KEY_PREFIX: 'gh{1}:' }), (e: unknown) => e instanceof ConfigError && /REDIS_KEY_PREFIX/.test(e.message));
    assert.equal(loadConfig({ REDIS_URL: 'redis+cluster://a:7000,b:7001' }).redisUrl, 'redis+cluster://a:7000,b:7001');
  });

  describe('a Redis Cluster of three masters', () => {
    let cluster: RedisTopology;
    before(async () => {
      cluster = await startRedisCluster();
    });
    after(async () => cluster?.stop());

    describeStoreContract('Redis Cluster', () => createRedisStore(cluster.url, prefix()));

    it('serves tokens through Gatehouse: issued, introspected, refreshed, revoked; revocations kept across a flush of the copy', async () => {
      const gh = await startTestGatehouse({ REDIS_URL: cluster.url, REDIS_KEY_PREFIX: prefix() });
      try {
        const { revoked } = await exerciseTokens(gh);
        await gh.gatehouse.storage.store.flush();
        for (const token of revoked) assert.equal((await introspect(gh.issuer, token, backend)).active, false, 'a flush must not revive a revoked token');
        const readiness = await fetch(`${gh.issuer}/readyz`);
        assert.equal(readiness.status, 200, await readiness.text());
      } finally {
        await gh.stop();
      }
    });
  });

  describe('Redis Sentinel: one master, one replica, three sentinels', () => {
    let sentinel: RedisSentinelSetup;
    before(async () => {
      sentinel = await startRedisSentinel();
    });
    after(async () => sentinel?.stop());

    describeStoreContract('Redis Sentinel', () => createRedisStore(sentinel.url, prefix()));

    it('keeps Gatehouse serving after the master is killed and the sentinels promote the replica; revoked tokens stay revoked', async () => {
      const keyPrefix = prefix();
      const gh = await startTestGatehouse({ REDIS_URL: sentinel.url, REDIS_KEY_PREFIX: keyPrefix });
      // A store of its own, to watch the revocation copy's marker across the failover.
      const store = await createRedisStore(sentinel.url, keyPrefix);
      try {
        const { revoked, user } = await exerciseTokens(gh);
        const unrevoked = await clientToken(gh.issuer, CMS);
        await store.markRevocationsLoaded(await store.beginRevocationsLoad());
        assert.equal(await store.checkRevocations([{ kind: 'jti', value: 'none' }]), false, 'the copy is trusted before the failover');

        const [master, replica] = sentinel.dataPorts;
        // The marker has reached the replica: it survives the failover, as a lagging revocation might not.
        await eventually(async () => {
          const redis = new Redis({ port: replica, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
          redis.on('error', () => {});
          try {
            await redis.connect();
            return (await redis.exists(`${keyPrefix}{rev}:loaded`)) ? true : undefined;
          } finally {
            redis.disconnect();
          }
        }, { what: 'the marker replicated' });

        const killedAt = Date.now();
        sentinel.kill(master);
        await eventually(async () => ((await sentinel.currentMasterPort()) === replica ? true : undefined), { timeoutMs: 30_000, intervalMs: 100, what: 'the sentinels to promote the replica' });
        const promotedAfter = Date.now() - killedAt;

        // Gatehouse serves again without a restart (answering 503 with Retry-After until then).
        const unrevokedAnswer = await eventually(async () => {
          const { status, body, headers } = await postForm(`${gh.issuer}/token/introspection`, { token: unrevoked }, backend);
          if (status === 200) return body;
          assert.equal(status, 503, `only 503 while Redis fails over: ${status} ${JSON.stringify(body)}`);
          assert.ok(headers.get('retry-after'), 'a 503 says when to retry');
          return undefined;
        }, { timeoutMs: 20_000, intervalMs: 100, what: 'introspection after the failover' });
        assert.equal(unrevokedAnswer.active, true);
        const servedAfter = Date.now() - killedAt;
        const after = await clientToken(gh.issuer, CMS);
        assert.equal((await introspect(gh.issuer, after, backend)).active, true);
        for (const token of revoked) assert.equal((await introspect(gh.issuer, token, backend)).active, false, 'revoked before the failover, revoked after');
        const refreshed = await refresh(gh.issuer, user.refresh_token, { resource: CMS });
        assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
        assert.equal((await revoke(gh.issuer, after, backend)).status, 200);
        assert.equal((await introspect(gh.issuer, after, backend)).active, false);
        assert.equal((await fetch(`${gh.issuer}/readyz`)).status, 200);

        // The promoted replica may lack revocations the old master acknowledged: after the loss
        // the copy is not trusted until reloaded from Postgres.
        const firstCheck = await eventually(async () => {
          try {
            return { answer: await store.checkRevocations([{ kind: 'jti', value: 'none' }]) };
          } catch {
            return undefined;
          }
        }, { timeoutMs: 20_000, intervalMs: 100, what: 'the store after the failover' });
        assert.equal(firstCheck.answer, undefined, 'the first check after a failover does not trust the copy');
        console.log(`      (replica promoted ${promotedAfter} ms, Gatehouse serving ${servedAfter} ms after the master was killed)`);
      } finally {
        await store.close();
        await gh.stop();
      }
    });
  });
});
