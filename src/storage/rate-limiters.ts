import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

import type { RateLimiter, RateLimitPolicy, RateLimiters, RateLimitState } from '../domain/ports/rate-limiter.js';
import { batchedRateLimiter } from './batched-rate-limiter.js';
import type { RedisClient } from './redis/redis-store.js';

/** How long the limiters count in process after Redis failed them, before they try it again. */
const REDIS_COOL_OFF_MS = 5000;

/**
 * Quotas of this many requests a second or more are counted in process and shared in batches
 * (batched-rate-limiter.ts): they protect throughput, and a round trip per request would cost
 * more than the work they guard. Smaller ones guard against guessing and stay exact.
 */
const BATCHED_FROM_PER_SECOND = 10;

/**
 * The rate limiters on rate-limiter-flexible: fixed windows in Redis, so every node shares the
 * count, or in process when embedded. Small quotas run one atomic Lua script per request; large
 * ones count in process and add to Redis in batches (BATCHED_FROM_PER_SECOND).
 *
 * With Redis failing a limiter counts in process (the same policy): a Redis outage neither
 * refuses every request with 429 nor lifts the limits. After a failure every limiter stays in
 * process for a cool-off, so during a partition a request waits for Redis's command timeout once
 * (in the store), not once more here.
 */
/** `maxKeys`: most keys a batched limiter counts in process (the cacheMaxEntries setting). */
export function createRateLimiters(redis?: RedisClient, { maxKeys = 10_000 }: { maxKeys?: number } = {}): RateLimiters {
  let redisDownUntil = 0;
  return {
    create(name, policy) {
      const windows = { keyPrefix: `rl:${name}`, points: policy.points, duration: policy.windowSeconds };
      const memory = new RateLimiterMemory(windows);
      if (!redis) return wrap(() => memory, policy);
      const shared = new RateLimiterRedis({ ...windows, storeClient: redis });
      if (policy.points / policy.windowSeconds >= BATCHED_FROM_PER_SECOND) return batchedRateLimiter({ shared, policy, maxKeys });
      return wrap(() => (Date.now() < redisDownUntil ? memory : shared), policy, (error) => {
        if (error instanceof RateLimiterRes) return undefined;
        redisDownUntil = Date.now() + REDIS_COOL_OFF_MS;
        return memory;
      });
    },
  };
}

/**
 * `current` picks the limiter for this call; `fallback` says, for an error of it, which limiter
 * to ask instead (undefined: the error stands).
 */
function wrap(current: () => RateLimiterAbstract, policy: RateLimitPolicy, fallback: (error: unknown) => RateLimiterAbstract | undefined = () => undefined): RateLimiter {
  const state = (res: RateLimiterRes | null): RateLimitState => {
    if (!res) return { remaining: policy.points, resetSeconds: policy.windowSeconds, exhausted: false };
    return {
      remaining: Math.max(policy.points - res.consumedPoints, 0),
      resetSeconds: Math.max(Math.ceil(res.msBeforeNext / 1000), 0),
      exhausted: res.consumedPoints >= policy.points,
    };
  };
  async function ask<T>(call: (limiter: RateLimiterAbstract) => Promise<T>): Promise<T> {
    try {
      return await call(current());
    } catch (error) {
      const instead = fallback(error);
      if (!instead) throw error;
      return call(instead);
    }
  }
  return {
    policy,
    async peek(key) {
      return state(await ask((limiter) => limiter.get(key)));
    },
    async spend(key) {
      try {
        return { ...state(await ask((limiter) => limiter.consume(key))), over: false };
      } catch (rejection) {
        // Over the quota, the library rejects with the counter's state instead of an Error.
        if (rejection instanceof RateLimiterRes) return { ...state(rejection), over: true };
        throw rejection;
      }
    },
  };
}
