import { LRUCache } from 'lru-cache';
import type { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

import type { RateLimiter, RateLimitPolicy, RateLimitState } from '../domain/ports/rate-limiter.js';

/** How often a node shares the counts it took in process with the other nodes (the most a count lags). */
export const SHARE_EVERY_MS = 100;

/** One key's count as this node knows it. */
interface Count {
  /** The window's total in Redis at the last share: every node's requests, this node's shared ones included. */
  shared: number;
  /** This node's requests sent to Redis, not yet answered. */
  sending: number;
  /** This node's requests not yet sent. */
  pending: number;
  /** When the window ends (epoch ms), from Redis's TTL once shared, estimated before. */
  resetAt: number;
}

export interface BatchedRateLimiterOptions {
  /** The Redis limiter (rate-limiter-flexible) the counts are shared through: the same keys and windows. */
  shared: RateLimiterRedis;
  policy: RateLimitPolicy;
  /** Most keys counted in process; the least recently used key is shared and forgotten first. */
  maxKeys: number;
  /** Redis failed a share: the caller may log or count it. The count stays in process meanwhile. */
  onShareFailed?: (error: unknown) => void;
  shareEveryMs?: number;
}

/**
 * A rate limiter that decides in process and shares its counts with the other nodes through
 * Redis every SHARE_EVERY_MS, one command per key that moved: a request costs no round trip.
 *
 * Each node adds what it counted since the last share to the key's window in Redis (the same
 * fixed-window script as RateLimiterRedis, so both kinds of limiter agree on a key) and learns
 * the window's total from every node in the answer. A burst spread over several nodes can so
 * overshoot a quota by what the other nodes take within one share interval; a single node never
 * overshoots. That is why only quotas of ten requests a second or more (throughput protection:
 * token, introspection) are batched, and the small ones that guard against guessing (login,
 * registration, device codes) stay exact (rate-limiters.ts).
 *
 * If Redis fails, the counts simply stay in process until it answers again: an outage neither
 * refuses everyone nor lifts the limits, and no request waits for Redis.
 */
export function batchedRateLimiter(options: BatchedRateLimiterOptions): RateLimiter {
  const { shared, policy, maxKeys, onShareFailed = () => {}, shareEveryMs = SHARE_EVERY_MS } = options;
  const windowMs = policy.windowSeconds * 1000;
  const moved = new Map<string, Count>();
  let timer: NodeJS.Timeout | undefined;
  let sharing = false;

  const counts = new LRUCache<string, Count>({
    max: maxKeys,
    // A key pushed out with requests not yet shared still adds them to Redis, so a flood of
    // new addresses cannot make a busy key's requests vanish from the shared count.
    dispose: (count, key, reason) => {
      if (reason !== 'evict' || count.pending === 0) return;
      const adding = count.pending;
      // Zeroed so that a share already holding this count does not send the same requests again.
      count.pending = 0;
      shared.penalty(key, adding).catch(onShareFailed);
    },
  });

  function countOf(key: string, now: number): Count {
    let count = counts.get(key);
    if (!count) {
      count = { shared: 0, sending: 0, pending: 0, resetAt: now + windowMs };
      counts.set(key, count);
    } else if (now >= count.resetAt) {
      // The window ended here; Redis's own key expired with it, so what this node knew is void.
      count.shared = 0;
      count.resetAt = now + windowMs;
    }
    moved.set(key, count);
    schedule();
    return count;
  }

  function stateOf(count: Count, now: number): RateLimitState & { consumed: number } {
    const consumed = count.shared + count.sending + count.pending;
    return {
      consumed,
      remaining: Math.max(policy.points - consumed, 0),
      resetSeconds: Math.max(Math.ceil((count.resetAt - now) / 1000), 0),
      exhausted: consumed >= policy.points,
    };
  }

  function schedule(): void {
    if (timer || sharing) return;
    timer = setTimeout(() => void share(), shareEveryMs);
    // Shutdown need not wait for it: what is lost is under one interval of counting.
    timer.unref();
  }

  async function shareOne(key: string, count: Count): Promise<void> {
    const adding = count.pending;
    count.pending = 0;
    count.sending += adding;
    try {
      // `get` for a key only looked at: learn what the other nodes spent without adding to it.
      const answer: RateLimiterRes | null = adding > 0 ? await shared.penalty(key, adding) : await shared.get(key);
      count.sending -= adding;
      count.shared = answer?.consumedPoints ?? 0;
      if (answer) count.resetAt = Date.now() + answer.msBeforeNext;
    } catch (error) {
      // Keep counting in process: the next share sends only what comes after.
      count.sending -= adding;
      count.shared += adding;
      onShareFailed(error);
    }
  }

  async function share(): Promise<void> {
    timer = undefined;
    sharing = true;
    const batch = [...moved];
    moved.clear();
    try {
      await Promise.all(batch.map(([key, count]) => shareOne(key, count)));
    } finally {
      sharing = false;
      if (moved.size > 0) schedule();
    }
  }

  return {
    policy,
    async peek(key) {
      const now = Date.now();
      const { consumed: _, ...state } = stateOf(countOf(key, now), now);
      return state;
    },
    async spend(key) {
      const now = Date.now();
      const count = countOf(key, now);
      count.pending += 1;
      const { consumed, ...state } = stateOf(count, now);
      return { ...state, over: consumed > policy.points };
    },
  };
}
