import { randomUUID } from 'node:crypto';

import { Cluster } from 'ioredis';

import type { FeedPosition, LeaseRenewal, RevocationBroadcast, RevocationBroadcastListener } from '../../domain/ports/revocation-broadcast.js';
import type { RevocationEntry } from '../../domain/ports/store.js';
import type { RedisClient } from './redis-store.js';

// Every key carries the hash tag {rev}, as the revocation copy's keys do: the scripts below touch
// several of them at once, which a Cluster allows only within one slot.
export const FEED_EPOCH = '{rev}:feed:epoch';
const FEED_SEQ = '{rev}:feed:seq';
const FEED_HOLDERS = '{rev}:feed:holders';
const FEED_APPLIED = '{rev}:feed:applied';

/** Redis's clock in ms, and the epoch (created now if missing: "<id>@<ms since 1970>"). */
const NOW_AND_EPOCH = `
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  epoch = ARGV[1] .. '@' .. now
  redis.call('SET', KEYS[1], epoch)
end`;

// KEYS: epoch, seq. ARGV: new epoch id.
const POSITION = `${NOW_AND_EPOCH}
return { epoch, redis.call('GET', KEYS[2]) or '0' }`;

// KEYS: seq, entry keys… ARGV: channel, payload, ttl ms of each entry…
const ANNOUNCE = `
for i = 2, #KEYS do redis.call('SET', KEYS[i], '1', 'PX', ARGV[i + 1]) end
local seq = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', ARGV[1], seq .. ' ' .. ARGV[2])
return seq`;

// KEYS: epoch, seq, holders, applied. ARGV: follower id, its epoch, its last applied seq, lease ms.
const RENEW = `
redis.replicate_commands()
if redis.call('GET', KEYS[1]) ~= ARGV[2] then return -1 end
if tonumber(ARGV[3]) < tonumber(redis.call('GET', KEYS[2]) or '0') then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[4]), ARGV[1])
redis.call('HSET', KEYS[4], ARGV[1], ARGV[3])
return 1`;

// KEYS: epoch, holders, applied. ARGV: new epoch id, seq, grace ms (a lease, after an epoch begins).
const UNSETTLED = `${NOW_AND_EPOCH}
local born = tonumber(string.match(epoch, '@(%d+)$')) or 0
local wait = 0
if now - born < tonumber(ARGV[3]) then wait = tonumber(ARGV[3]) - (now - born) end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do
  redis.call('ZREM', KEYS[2], id)
  redis.call('HDEL', KEYS[3], id)
end
local live = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. now, '+inf', 'WITHSCORES')
for i = 1, #live, 2 do
  if tonumber(redis.call('HGET', KEYS[3], live[i]) or '-1') < tonumber(ARGV[2]) then
    wait = math.max(wait, tonumber(live[i + 1]) - now)
  end
end
return wait`;

const revocationKey = (kind: string, value: string) => `{rev}:${kind}:${value}`;

/**
 * The revocation feed on Redis: additions are numbered by INCR and announced by PUBLISH in the
 * same script that writes the shared copy, so no addition is announced without being written or
 * numbered out of order; followers subscribe on a connection of their own. Leases are a sorted
 * set scored by their end on Redis's clock (TIME), with each holder's last applied number beside.
 */
export function createRedisRevocationBroadcast(redis: RedisClient, prefix: string): RevocationBroadcast {
  // Channels are not keys: ioredis does not prefix them, so the deployment's prefix is added here.
  const channel = `${prefix}{rev}:feed`;
  // Sent as EVALSHA (ioredis falls back to EVAL once per connection): renewals run twice a second
  // on every process, and each applied revocation renews too.
  const scripts = { POSITION, ANNOUNCE, RENEW, UNSETTLED };
  for (const [name, lua] of Object.entries(scripts)) redis.defineCommand(`gatehouseRevocation${name}`, { lua });
  const commands = redis as unknown as Record<string, (numberOfKeys: number, ...args: Array<string | number>) => Promise<unknown>>;
  const run = async (script: keyof typeof scripts, keys: string[], args: Array<string | number>) => commands[`gatehouseRevocation${script}`]!(keys.length, ...keys, ...args);

  return {
    async follow(listener: RevocationBroadcastListener) {
      const subscriber = redis instanceof Cluster
        ? redis.duplicate([], { redisOptions: { autoResubscribe: false } })
        : redis.duplicate({ autoResubscribe: false });
      let stopped = false;
      let broken = false;
      // Its outages are the main connection's too, which logs them once; 'close' and 'ready' drive the listener.
      subscriber.on('error', () => {});
      subscriber.on('message', (from: string, message: string) => {
        if (from !== channel) return;
        const space = message.indexOf(' ');
        listener.revoked(Number(message.slice(0, space)), JSON.parse(message.slice(space + 1)) as RevocationEntry[]);
      });
      subscriber.on('close', () => {
        if (stopped || broken) return;
        broken = true;
        listener.interrupted();
      });
      subscriber.on('ready', () => {
        if (stopped || !broken) return;
        // Resubscribed here (not by ioredis) so that `resumed` comes only once the subscription is confirmed.
        subscriber.subscribe(channel).then(() => {
          broken = false;
          listener.resumed();
        }, () => { /* the next 'ready' tries again */ });
      });
      await subscriber.connect();
      await subscriber.subscribe(channel);
      return async () => {
        stopped = true;
        subscriber.disconnect();
      };
    },

    async position(): Promise<FeedPosition> {
      const [epoch, seq] = (await run('POSITION', [FEED_EPOCH, FEED_SEQ], [randomUUID()])) as [string, string];
      return { epoch, seq: Number(seq) };
    },

    async announce(entries) {
      const now = Date.now();
      const live = entries.map((entry) => ({ entry, ms: Math.ceil(entry.expiresAt * 1000 - now) })).filter(({ ms }) => ms > 0);
      return Number(await run(
        'ANNOUNCE',
        [FEED_SEQ, ...live.map(({ entry }) => revocationKey(entry.kind, entry.value))],
        [channel, JSON.stringify(live.map(({ entry }) => entry)), ...live.map(({ ms }) => ms)],
      ));
    },

    async renew(followerId, at, leaseMs): Promise<LeaseRenewal> {
      const result = Number(await run('RENEW', [FEED_EPOCH, FEED_SEQ, FEED_HOLDERS, FEED_APPLIED], [followerId, at.epoch, at.seq, leaseMs]));
      return result === 1 ? 'renewed' : result === 0 ? 'behind' : 'other-epoch';
    },

    async leave(followerId) {
      await redis.multi().zrem(FEED_HOLDERS, followerId).hdel(FEED_APPLIED, followerId).exec();
    },

    async unsettled(seq, leaseMs) {
      return Number(await run('UNSETTLED', [FEED_EPOCH, FEED_HOLDERS, FEED_APPLIED], [randomUUID(), seq, leaseMs]));
    },

    async restart() {
      await redis.del(FEED_EPOCH);
    },
  };
}
