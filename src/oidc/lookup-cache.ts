import { LRUCache } from 'lru-cache';

export interface LookupCacheOptions {
  /** Most answers kept; the least recently used goes first. */
  max: number;
  /** How long an answer is reused. 0: none is, every call looks up. */
  ttlSeconds: number;
}

export interface LookupCache<V> {
  /** The remembered answer for `key`, or a fresh lookup (which is then remembered). */
  get(key: string): Promise<V>;
  /** Forgets `key`, so the next get looks it up. */
  delete(key: string): void;
  /** Answers held now (never more than `max`). */
  readonly size: number;
}

/**
 * Remembers recent answers of a database lookup, "not found" included, for `ttlSeconds`.
 * Keys come from requests (any client_id or resource a caller sends), so the `max` bound is
 * what keeps memory flat whatever they send. Concurrent lookups of one key share one call;
 * a failed lookup is not remembered.
 */
export function createLookupCache<V>(options: LookupCacheOptions, lookup: (key: string) => Promise<V>): LookupCache<V> {
  const cache = options.ttlSeconds > 0
    ? new LRUCache<string, Promise<V>>({ max: options.max, ttl: options.ttlSeconds * 1000 })
    : undefined;
  return {
    get(key) {
      if (!cache) return lookup(key);
      const hit = cache.get(key);
      if (hit) return hit;
      const answer = lookup(key);
      cache.set(key, answer);
      answer.catch(() => {
        if (cache.peek(key) === answer) cache.delete(key);
      });
      return answer;
    },
    delete(key) {
      cache?.delete(key);
    },
    get size() {
      return cache?.size ?? 0;
    },
  };
}
