/**
 * Remembers keys for a while and says whether one is new: the in-process replay check of DPoP
 * proof ids. Bounded: expired entries go first, then the oldest. Evicting an unexpired entry can
 * only happen under a flood larger than `maxEntries` proofs per proof lifetime; the proof's age
 * limit still bounds how long a replay could be attempted.
 */
export function createReplayCache(maxEntries: number, now: () => number = Date.now) {
  // Map iteration is insertion order and every entry lives equally long: the first is the oldest.
  const seen = new Map<string, number>();

  function evict(at: number): void {
    for (const [key, until] of seen) {
      if (until > at && seen.size < maxEntries) break;
      seen.delete(key);
    }
  }

  return {
    /** true the first time `key` is claimed within `ttlSeconds`; false for a replay. */
    claim(key: string, ttlSeconds: number): boolean {
      const at = now();
      const until = seen.get(key);
      if (until !== undefined && until > at) return false;
      seen.delete(key);
      if (seen.size >= maxEntries) evict(at);
      seen.set(key, at + ttlSeconds * 1000);
      return true;
    },
    get size(): number {
      return seen.size;
    },
  };
}
