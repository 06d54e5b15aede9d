import { randomUUID } from 'node:crypto';

import { Redis } from 'ioredis';

import type { RevocationEntry, Store } from '../../domain/ports/store.js';
import { ttlMs } from '../ttl-ms.js';

const LOADED = 'revocations:loaded';
const LOADING = 'revocations:loading';
// Set LOADED only if the reload that started with this token is still the current one.
const MARK_LOADED = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[2], '1'); redis.call('DEL', KEYS[1]); return 1 end; return 0`;

/**
 * One ioredis connection with Gatehouse's settings; the Store and the rate limiters share it.
 * Every key carries `prefix`, so deployments can share one Redis.
 */
export async function connectRedis(url: string, prefix: string): Promise<Redis> {
  const redis = new Redis(url, {
    keyPrefix: prefix,
    lazyConnect: true,
    // Fail fast instead of queueing while Redis is away: callers turn the error into a 503.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // Commands issued in the same tick share one socket write: cheaper under load.
    enableAutoPipelining: true,
    connectTimeout: 2000,
    // A partition leaves the socket open but silent: fail the command rather than wait for TCP.
    commandTimeout: 3000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  // Connection errors surface through the failing commands; without a listener ioredis would
  // print each reconnect attempt.
  redis.on('error', () => {});
  await redis.connect();
  return redis;
}

/** The Store on Redis (its own connection). */
export async function createRedisStore(url: string, prefix: string): Promise<Store> {
  return redisStore(await connectRedis(url, prefix), prefix);
}

/** The Store over an open connection made by connectRedis; closing the Store closes it. */
export function redisStore(redis: Redis, prefix: string): Store {
  const revocationKey = (kind: string, value: string) => `rev:${kind}:${value}`;

  return {
    mode: 'redis',
    async getJson<T>(key: string) {
      const value = await redis.get(key);
      return value === null ? undefined : (JSON.parse(value) as T);
    },
    async setJson(key, value, ttlSeconds) {
      const text = JSON.stringify(value);
      if (ttlSeconds) await redis.set(key, text, 'PX', ttlMs(ttlSeconds));
      else await redis.set(key, text);
    },
    async delete(keys) {
      if (keys.length) await redis.del(...keys);
    },
    async claim(key, ttlSeconds) {
      return (await redis.set(key, '1', 'PX', ttlMs(ttlSeconds), 'NX')) === 'OK';
    },
    async increment(key, ttlSeconds) {
      const results = await redis.multi().incr(key).pexpire(key, ttlMs(ttlSeconds), 'NX').exec();
      const [error, count] = results![0]!;
      if (error) throw error;
      return Number(count);
    },
    async addToSet(key, member, ttlSeconds) {
      const ttl = ttlMs(ttlSeconds);
      await redis.multi().sadd(key, member).pexpire(key, ttl, 'GT').pexpire(key, ttl, 'NX').exec();
    },
    async setMembers(key) {
      return redis.smembers(key);
    },
    async addRevocations(entries: ReadonlyArray<RevocationEntry>) {
      if (!entries.length) return;
      const pipeline = redis.pipeline();
      const now = Date.now();
      for (const { kind, value, expiresAt } of entries) {
        const ms = Math.ceil(expiresAt * 1000 - now);
        if (ms > 0) pipeline.set(revocationKey(kind, value), '1', 'PX', ms);
      }
      const results = await pipeline.exec();
      const failed = results?.find(([error]) => error);
      if (failed) throw failed[0];
    },
    async checkRevocations(entries) {
      const values = await redis.mget(LOADED, ...entries.map(({ kind, value }) => revocationKey(kind, value)));
      if (values[0] === null) return undefined;
      return values.slice(1).some((v) => v !== null);
    },
    async beginRevocationsLoad() {
      const token = randomUUID();
      await redis.set(LOADING, token, 'EX', 300);
      return token;
    },
    async markRevocationsLoaded(loadToken) {
      return (await redis.eval(MARK_LOADED, 2, LOADING, LOADED, loadToken)) === 1;
    },
    async markRevocationsStale() {
      await redis.del(LOADED, LOADING);
    },
    async ping() {
      await redis.ping();
    },
    async flush() {
      // Only this deployment's keys: SCAN by prefix rather than FLUSHDB.
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.del(...keys.map((k) => k.slice(prefix.length)));
      } while (cursor !== '0');
    },
    async close() {
      redis.disconnect();
    },
  };
}
