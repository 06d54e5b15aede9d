import { randomUUID } from 'node:crypto';

import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

import { parseRedisUrl } from '../../config/redis-target.js';
import type { RevocationEntry, Store } from '../../domain/ports/store.js';
import { ttlMs } from '../ttl-ms.js';
import { createRedisRevocationBroadcast, FEED_EPOCH } from './redis-revocation-broadcast.js';

/** A connection to one server, a Sentinel-managed master or a Cluster: the commands Gatehouse uses are the same. */
export type RedisClient = Redis | Cluster;

// Every key of the revocation copy carries the hash tag {rev}: the marker check and the entry
// lookups are one MGET and the reload's final mark one Lua script, which a Redis Cluster runs only
// on keys of one slot. The copy thus lives on one Cluster master (it is small: live revocations only).
const LOADED = '{rev}:loaded';
const LOADING = '{rev}:loading';
const revocationKey = (kind: string, value: string) => `{rev}:${kind}:${value}`;
// Set LOADED only if the reload that started with this token is still the current one.
const MARK_LOADED = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[2], '1'); redis.call('DEL', KEYS[1]); return 1 end; return 0`;
// Members per ZMSCORE when counting some members of an expiring set: bounded commands, sent together by auto-pipelining.
const EXPIRING_READ_CHUNK = 1000;

// The set's expiry becomes the later of its own and the new member's (a set without one takes
// the member's): what PEXPIRE GT followed by PEXPIRE NX did, in the same script as the add.
const EXTEND_TTL = `local ttl = tonumber(ARGV[2]); local current = redis.call('PTTL', KEYS[1]); if current < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end`;
/** SADD and the set's expiry, atomically: KEYS[1] the set, ARGV member and ttl (ms). */
const ADD_TO_SET = `redis.call('SADD', KEYS[1], ARGV[1]); ${EXTEND_TTL}; return 1`;
/** ZADD scored by the member's expiry, pruning expired members, and the set's expiry: ARGV member, ttl (ms), now (epoch ms). */
const ADD_EXPIRING = `local now = tonumber(ARGV[3]); redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1]); redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now); ${EXTEND_TTL}; return 1`;

/** The scripts above as commands of the client (EVALSHA, falling back to EVAL once per server), one round trip and one command each. */
interface IndexCommands {
  gatehouseAddToSet(key: string, member: string, ttlMs: number): Promise<number>;
  gatehouseAddExpiring(key: string, member: string, ttlMs: number, now: number): Promise<number>;
}

/**
 * One ioredis connection with Gatehouse's settings; the Store and the rate limiters share it.
 * Every key carries `prefix`, so deployments can share one Redis. `url` is REDIS_URL: a server,
 * sentinels (`redis+sentinel://`) or cluster nodes (`redis+cluster://`).
 */
export async function connectRedis(url: string, prefix: string): Promise<RedisClient> {
  const common = {
    // Fail fast instead of queueing while Redis is away: callers turn the error into a 503.
    enableOfflineQueue: false,
    // Commands issued in the same tick share one socket write: cheaper under load.
    enableAutoPipelining: true,
    lazyConnect: true,
  } as const;
  const perNode: RedisOptions = {
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    // A partition leaves the socket open but silent: fail the command rather than wait for TCP.
    commandTimeout: 3000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  };
  const target = parseRedisUrl(url);
  let redis: RedisClient;
  if (target.kind === 'server') {
    redis = new Redis(url, { ...perNode, ...common, keyPrefix: prefix });
  } else if (target.kind === 'sentinel') {
    redis = new Redis({
      ...perNode, ...common, keyPrefix: prefix,
      sentinels: target.sentinels, name: target.name, db: target.db, ...target.credentials,
      ...(target.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
      sentinelRetryStrategy: (attempt) => Math.min(attempt * 200, 2000),
      // Reconnect as soon as the sentinels announce a new master, not when the old one fails a
      // command: a partitioned old master would otherwise keep taking writes that are then lost.
      failoverDetector: true,
    });
  } else {
    const options: ClusterOptions = {
      ...common, keyPrefix: prefix,
      redisOptions: { ...perNode, ...target.credentials, ...(target.tls ? { tls: {} } : {}) },
      clusterRetryStrategy: (attempt) => Math.min(attempt * 200, 2000),
      // While a failed master's slots move to its replica, retry the redirected command briefly.
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 200,
    };
    redis = new Cluster(target.nodes, options);
  }
  // Connection errors surface through the failing commands; without a listener ioredis would
  // print each reconnect attempt.
  redis.on('error', () => {});
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  return redis;
}

/** The Store on Redis (its own connection). */
export async function createRedisStore(url: string, prefix: string): Promise<Store> {
  return redisStore(await connectRedis(url, prefix), prefix);
}

/** The Store over an open connection made by connectRedis; closing the Store closes it. */
export function redisStore(redis: RedisClient, prefix: string): Store {
  // After this process lost Redis, the server it reaches again may lack revocations it had
  // acknowledged: a replica promoted by Sentinel or Cluster before it received them, or a restart
  // from an older snapshot, while the loaded marker survived. So the first revocation check after
  // a loss marks the copy stale (readers go to Postgres, which reloads it) before trusting it again.
  let losses = 0;
  let confirmedAfter = 0;
  const lost = () => {
    losses += 1;
  };
  redis.on('close', lost);
  // A Cluster node leaving the pool (down, or replaced by its replica) is the same loss for its slots.
  if (redis instanceof Cluster) redis.on('-node', lost);
  // The session and grant indexes are written on every sign-in: as MULTI blocks they cost five
  // and six commands each (MULTI, the writes, EXEC) and ioredis's transaction handling; a script
  // is one command, as atomic, and goes with the other commands of its moment (auto-pipelining).
  redis.defineCommand('gatehouseAddToSet', { numberOfKeys: 1, lua: ADD_TO_SET });
  redis.defineCommand('gatehouseAddExpiring', { numberOfKeys: 1, lua: ADD_EXPIRING });
  const indexes = redis as unknown as IndexCommands;
  // A stale copy also ends the feed's epoch: every process's own copy is loaded anew.
  const markStale = async () => {
    await redis.del(LOADED, LOADING, FEED_EPOCH);
  };

  return {
    mode: 'redis',
    revocationBroadcast: createRedisRevocationBroadcast(redis, prefix),
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
      // One DEL per key (sent together by auto-pipelining): in a Cluster the keys lie in many slots.
      await Promise.all(keys.map((key) => redis.del(key)));
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
      await indexes.gatehouseAddToSet(key, member, ttlMs(ttlSeconds));
    },
    async setMembers(key) {
      return redis.smembers(key);
    },
    // A sorted set scored by each member's expiry (epoch ms); expired members are pruned on each add.
    async addExpiring(key, member, ttlSeconds) {
      await indexes.gatehouseAddExpiring(key, member, ttlMs(ttlSeconds), Date.now());
    },
    async removeExpiring(key, members) {
      if (members.length) await redis.zrem(key, ...members);
    },
    async countExpiring(key, among) {
      const now = Date.now();
      if (!among) return redis.zcount(key, `(${now}`, '+inf');
      const members = [...new Set(among)];
      const chunks = Array.from({ length: Math.ceil(members.length / EXPIRING_READ_CHUNK) }, (_, i) => members.slice(i * EXPIRING_READ_CHUNK, (i + 1) * EXPIRING_READ_CHUNK));
      const scores = (await Promise.all(chunks.map((chunk) => redis.zmscore(key, ...chunk)))).flat();
      return scores.filter((score) => score !== null && Number(score) > now).length;
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
      if (confirmedAfter < losses) {
        const seen = losses;
        await markStale();
        confirmedAfter = seen;
        return undefined;
      }
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
      await markStale();
    },
    async ping() {
      await redis.ping();
    },
    async flush() {
      // Only this deployment's keys: SCAN by prefix rather than FLUSHDB, on every master of a Cluster.
      for (const node of redis instanceof Cluster ? redis.nodes('master') : [redis]) {
        let cursor = '0';
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
          cursor = next;
          await Promise.all(keys.map((key) => redis.del(key.slice(prefix.length))));
        } while (cursor !== '0');
      }
    },
    async close() {
      redis.disconnect();
    },
  };
}
