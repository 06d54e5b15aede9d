import { systemClock, type Clock } from '../ports/clock.js';
import type { TokenCount } from '../ports/token-count-repository.js';

const HOUR_MS = 3_600_000;

export interface TokenIssuanceOptions {
  repository: { add(counts: ReadonlyArray<TokenCount>): Promise<void> };
  /** How often counts go to the database. */
  flushSeconds?: number;
  onError: (error: unknown) => void;
  clock?: Clock;
}

/**
 * Counts access tokens issued per client and hour in memory and adds them to the database every
 * few seconds: issuing a token costs a map update, never a database write. Counts not yet flushed
 * are lost if the process dies without closing (at most `flushSeconds` of them); a failed flush
 * keeps its counts for the next one.
 */
export function createTokenIssuanceCounter(options: TokenIssuanceOptions) {
  // `<hour start ms>:<client id>` → count; the hour comes first because client ids may hold colons.
  let pending = new Map<string, number>();
  let flushing: Promise<void> = Promise.resolve();

  async function flushPending(): Promise<void> {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    const counts = [...batch].map(([key, count]) => {
      const colon = key.indexOf(':');
      return { hour: new Date(Number(key.slice(0, colon))), clientId: key.slice(colon + 1), count };
    });
    try {
      await options.repository.add(counts);
    } catch (error) {
      for (const [key, count] of batch) pending.set(key, (pending.get(key) ?? 0) + count);
      options.onError(error);
    }
  }

  /** Writes what is pending; flushes run one at a time. */
  function flush(): Promise<void> {
    flushing = flushing.then(flushPending);
    return flushing;
  }

  return {
    flush,

    /** One token issued to `clientId` now. */
    count(clientId: string): void {
      const key = `${Math.floor((options.clock ?? systemClock).now().getTime() / HOUR_MS) * HOUR_MS}:${clientId}`;
      pending.set(key, (pending.get(key) ?? 0) + 1);
    },

    /** Flushes periodically; the returned stop flushes once more (call it on shutdown, before the database closes). */
    start(): () => Promise<void> {
      const timer = setInterval(() => void flush(), (options.flushSeconds ?? 5) * 1000);
      timer.unref();
      return async () => {
        clearInterval(timer);
        await flush();
      };
    },
  };
}

export type TokenIssuanceCounter = ReturnType<typeof createTokenIssuanceCounter>;
