import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

import type { RateLimiter, RateLimitPolicy, RateLimiters, RateLimitState } from '../domain/ports/rate-limiter.js';

/**
 * The rate limiters on rate-limiter-flexible: fixed windows counted in Redis (one atomic Lua
 * script per request, so every node shares the count) or in process when embedded.
 *
 * With Redis unreachable a limiter falls back to an in-process count of the same policy
 * (the library's insurance limiter): a Redis outage neither refuses every request with 429 nor
 * lifts the limits; each node then counts on its own until Redis answers again.
 */
export function createRateLimiters(redis?: Redis): RateLimiters {
  return {
    create(name, policy) {
      const options = { keyPrefix: `rl:${name}`, points: policy.points, duration: policy.windowSeconds };
      const limiter: RateLimiterAbstract = redis
        ? new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: new RateLimiterMemory(options) })
        : new RateLimiterMemory(options);
      return wrap(limiter, policy);
    },
  };
}

function wrap(limiter: RateLimiterAbstract, policy: RateLimitPolicy): RateLimiter {
  const state = (res: RateLimiterRes | null): RateLimitState => {
    if (!res) return { remaining: policy.points, resetSeconds: policy.windowSeconds, exhausted: false };
    return {
      remaining: Math.max(policy.points - res.consumedPoints, 0),
      resetSeconds: Math.max(Math.ceil(res.msBeforeNext / 1000), 0),
      exhausted: res.consumedPoints >= policy.points,
    };
  };
  return {
    policy,
    async peek(key) {
      return state(await limiter.get(key));
    },
    async spend(key) {
      try {
        return { ...state(await limiter.consume(key)), over: false };
      } catch (rejection) {
        // Over the quota, the library rejects with the counter's state instead of an Error.
        if (rejection instanceof RateLimiterRes) return { ...state(rejection), over: true };
        throw rejection;
      }
    },
  };
}
