import { randomUUID } from 'node:crypto';

import type { FeedPosition, RevocationBroadcast } from '../domain/ports/revocation-broadcast.js';
import type { RevocationEntry } from '../domain/ports/store.js';

export interface RevocationMirrorDeps {
  broadcast: RevocationBroadcast;
  /** The durable list (Postgres): what the mirror loads when it starts following, or again. */
  live: () => Promise<RevocationEntry[]>;
  /** How long a renewed lease lasts (the feed's clock). */
  leaseMs: number;
  /** Taken off the lease here: clock drift between this process and the feed. */
  marginMs: number;
  /** Most revocations held; beyond that the mirror stands aside and every check asks the shared copy. */
  maxEntries: number;
  onError: (error: unknown) => void;
  /** A monotonic clock in ms (performance.now). */
  now?: () => number;
}

/**
 * Periodic renewals refused in a row as "behind" before the mirror assumes it missed an addition
 * with none after it to show the gap, and loads anew. (An acknowledgement refused as behind is
 * normal in a burst: the next addition was numbered before this one was applied.)
 */
const BEHIND_LIMIT = 3;
const key = (entry: Pick<RevocationEntry, 'kind' | 'value'>) => `${entry.kind}:${entry.value}`;

/**
 * This process's own copy of the revoked jtis and grants, so introspection needs no round trip
 * to Redis — without ever answering "not revoked" for a revocation already acknowledged
 * anywhere. It follows the feed (RevocationBroadcast): it loads the durable list, applies each
 * numbered addition in order, and renews a lease on the feed only while it has applied
 * everything. A revocation is acknowledged only once every lease holder has applied it or its
 * lease has run out (revocation-list.ts), and the copy is trusted only while its lease runs by
 * this process's clock, minus a margin. Any doubt — a gap in the numbering, a broken
 * subscription, another epoch, a renewal refused too often — sets the copy aside (checks return
 * undefined and ask the shared copy) until it has loaded anew.
 */
export function createRevocationMirror(deps: RevocationMirrorDeps) {
  const id = randomUUID();
  const now = deps.now ?? (() => performance.now());
  const revoked = new Map<string, number>();
  /** What has been applied, while following; undefined while (re)loading or set aside. */
  let at: FeedPosition | undefined;
  /** Additions that arrived while loading, applied after the load if newer than it. */
  let arrived: Array<[number, RevocationEntry[]]> = [];
  let leaseUntil = 0;
  /** Bumped whenever the copy is set aside: a renewal answered for an older copy extends nothing. */
  let generation = 0;
  let loadsWanted = 0;
  let loading: Promise<void> | undefined;
  let behind = 0;
  let stopped = false;
  let unsubscribe: (() => Promise<void>) | undefined;
  let timer: NodeJS.Timeout | undefined;

  const setAside = () => {
    generation += 1;
    leaseUntil = 0;
    at = undefined;
    arrived = [];
  };

  /** Adds entries; false (and the copy set aside) when that would hold more than allowed. */
  const apply = (entries: RevocationEntry[]): boolean => {
    for (const entry of entries) revoked.set(key(entry), entry.expiresAt);
    if (revoked.size > deps.maxEntries) prune();
    if (revoked.size <= deps.maxEntries) return true;
    revoked.clear();
    setAside();
    deps.onError(new Error(`more than ${deps.maxEntries} live revocations: each check asks the shared copy`));
    return false;
  };

  const prune = () => {
    const seconds = Date.now() / 1000;
    for (const [entry, expiresAt] of revoked) if (expiresAt <= seconds) revoked.delete(entry);
  };

  async function renew(periodic = false): Promise<void> {
    if (!at || stopped) return;
    const asOf = generation;
    const sentAt = now();
    let result;
    try {
      result = await deps.broadcast.renew(id, { ...at }, deps.leaseMs);
    } catch (error) {
      deps.onError(error);
      return;
    }
    if (asOf !== generation) return;
    if (result === 'renewed') {
      behind = 0;
      // The feed started the lease after this request left: ending it earlier here is the safe side.
      leaseUntil = Math.max(leaseUntil, sentAt + deps.leaseMs - deps.marginMs);
    } else if (result === 'other-epoch' || (periodic && ++behind >= BEHIND_LIMIT)) {
      reload();
    }
  }

  async function loadOnce(ticket: number): Promise<void> {
    const position = await deps.broadcast.position();
    const live = await deps.live();
    if (ticket !== loadsWanted || stopped) return;
    revoked.clear();
    if (!apply(live)) return;
    let seq = position.seq;
    for (const [number, entries] of arrived.sort(([a], [b]) => a - b)) {
      if (number <= seq) continue;
      // An addition is missing in between: load again.
      if (number !== seq + 1) return void (loadsWanted += 1);
      if (!apply(entries)) return;
      seq = number;
    }
    arrived = [];
    behind = 0;
    at = { epoch: position.epoch, seq };
    await renew();
  }

  /** Sets the copy aside and loads it anew (one load at a time; a request during one makes another). */
  function reload(): Promise<void> {
    setAside();
    loadsWanted += 1;
    loading ??= (async () => {
      let done = 0;
      for (let attempt = 0; !stopped && done !== loadsWanted; attempt++) {
        // Loads in a row (a failure, or a doubt right after loading) are spaced: at most a few per second.
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, deps.leaseMs / 4));
        const ticket = loadsWanted;
        try {
          await loadOnce(ticket);
          done = ticket;
        } catch (error) {
          deps.onError(error);
        }
      }
    })().finally(() => {
      loading = undefined;
    });
    return loading;
  }

  return {
    /** Subscribes to the feed and loads the copy; resolves once loaded (or failed: checks then ask the shared copy). */
    async start(): Promise<void> {
      unsubscribe = await deps.broadcast.follow({
        revoked(seq, entries) {
          if (!at) {
            // Kept for the load in progress, if any (a copy set aside for good keeps nothing).
            if (loading) arrived.push([seq, entries]);
          } else if (seq !== at.seq + 1) {
            void reload();
          } else if (apply(entries)) {
            at.seq = seq;
            // The renewal is the acknowledgement the revoking node waits for.
            void renew();
          }
        },
        interrupted: setAside,
        resumed: () => void reload(),
      });
      timer = setInterval(() => {
        prune();
        void renew(true);
      }, deps.leaseMs / 4);
      timer.unref();
      await reload();
    },

    /** true or false when the copy may answer; undefined when it may not (ask the shared copy). */
    check(entries: ReadonlyArray<Pick<RevocationEntry, 'kind' | 'value'>>): boolean | undefined {
      if (!at || now() >= leaseUntil) return undefined;
      const seconds = Date.now() / 1000;
      return entries.some((entry) => (revoked.get(key(entry)) ?? 0) > seconds);
    },

    /** Stops following and gives the lease back, so that revocations stop waiting for this process. */
    async stop(): Promise<void> {
      stopped = true;
      setAside();
      if (timer) clearInterval(timer);
      await unsubscribe?.();
      await deps.broadcast.leave(id).catch(deps.onError);
    },
  };
}

export type RevocationMirror = ReturnType<typeof createRevocationMirror>;
