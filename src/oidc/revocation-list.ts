import { StorageUnavailableError } from '../domain/errors.js';
import type { RevocationRepository } from '../domain/ports/revocation-repository.js';
import type { RevocationEntry, Store } from '../domain/ports/store.js';
import { createRevocationMirror, type RevocationMirror } from './revocation-mirror.js';

export interface RevocationListDeps {
  repository: RevocationRepository;
  store: Store;
  /** Keep a copy in this process too, where the store has a revocation feed (Redis). */
  mirror?: { marginMs: number; maxEntries: number; onError: (error: unknown) => void };
}

/**
 * How long a process may answer from its own copy after renewing its lease; also the longest a
 * revocation waits for a process that stopped following (killed, partitioned) to lose its lease.
 */
export const MIRROR_LEASE_MS = 2000;
const leaseMs = MIRROR_LEASE_MS;

/**
 * Which JWT access tokens (by jti) and grants are revoked. Postgres is the authority and is
 * written first; the store holds a copy for the hot path. The copy is trusted only while its
 * "loaded" marker exists: after a Redis flush or restart the marker is gone, answers come from
 * Postgres, and the copy is reloaded in the background. A revoked token is never reported active.
 *
 * On Redis each process also keeps its own copy (revocation-mirror.ts), so a check costs no round
 * trip: a revocation is acknowledged only once every process that holds a copy has applied it,
 * or has lost the lease that lets it answer from its copy.
 */
export function createRevocationList(deps: RevocationListDeps) {
  const { repository, store } = deps;
  // Every process that revokes announces on the feed (the CLI included), whether or not it keeps a copy.
  const feed = store.revocationBroadcast;
  const mirror: RevocationMirror | undefined = feed && deps.mirror
    ? createRevocationMirror({ broadcast: feed, live: () => repository.live(), leaseMs, ...deps.mirror })
    : undefined;
  let loading: Promise<void> | undefined;

  // The load token makes the marker honest: a flush or failed write during the reload cancels it.
  async function reload(): Promise<void> {
    const token = await store.beginRevocationsLoad();
    const live = await repository.live();
    await store.addRevocations(live);
    await store.markRevocationsLoaded(token);
  }

  /** Waits until every process holding a copy has applied addition `seq` or lost its lease. */
  async function settle(seq: number): Promise<void> {
    const deadline = Date.now() + 3 * leaseMs;
    let pause = 1;
    for (;;) {
      const wait = await feed!.unsettled(seq, leaseMs);
      if (wait <= 0) return;
      if (Date.now() > deadline) throw new StorageUnavailableError(new Error(`revocation ${seq} not confirmed by every node within ${3 * leaseMs} ms`));
      await new Promise((resolve) => setTimeout(resolve, Math.min(wait, pause)));
      pause = Math.min(pause * 2, 50);
    }
  }

  return {
    async revoke(entries: RevocationEntry[]): Promise<void> {
      await repository.add(entries);
      try {
        if (feed) await settle(await feed.announce(entries));
        else await store.addRevocations(entries);
      } catch (error) {
        // The revocation is durable; make readers bypass copies that may now lack it.
        await store.markRevocationsStale().catch(() => {});
        throw error;
      }
    },

    async isRevoked(entries: Array<Pick<RevocationEntry, 'kind' | 'value'>>): Promise<boolean> {
      const mirrored = mirror?.check(entries);
      if (mirrored !== undefined) return mirrored;
      const cached = await store.checkRevocations(entries);
      if (cached !== undefined) return cached;
      loading ??= reload().finally(() => {
        loading = undefined;
      });
      loading.catch(() => {});
      return repository.anyRevoked(entries);
    },

    /** Loads the copies now (at start-up), so the first requests take the fast path. */
    async warm(): Promise<void> {
      await reload();
      await mirror?.start();
    },

    async close(): Promise<void> {
      await mirror?.stop();
    },
  };
}

export type RevocationList = ReturnType<typeof createRevocationList>;
