import type { RevocationRepository } from '../domain/ports/revocation-repository.js';
import type { RevocationEntry, Store } from '../domain/ports/store.js';

/**
 * Which JWT access tokens (by jti) and grants are revoked. Postgres is the authority and is
 * written first; the store holds a copy for the hot path. The copy is trusted only while its
 * "loaded" marker exists: after a Redis flush or restart the marker is gone, answers come from
 * Postgres, and the copy is reloaded in the background. A revoked token is never reported active.
 */
export function createRevocationList(deps: { repository: RevocationRepository; store: Store }) {
  const { repository, store } = deps;
  let loading: Promise<void> | undefined;

  // The load token makes the marker honest: a flush or failed write during the reload cancels it.
  async function reload(): Promise<void> {
    const token = await store.beginRevocationsLoad();
    const live = await repository.live();
    await store.addRevocations(live);
    await store.markRevocationsLoaded(token);
  }

  return {
    async revoke(entries: RevocationEntry[]): Promise<void> {
      await repository.add(entries);
      try {
        await store.addRevocations(entries);
      } catch (error) {
        // The revocation is durable; make readers bypass a copy that may now lack it.
        await store.markRevocationsStale().catch(() => {});
        throw error;
      }
    },

    async isRevoked(entries: Array<Pick<RevocationEntry, 'kind' | 'value'>>): Promise<boolean> {
      const cached = await store.checkRevocations(entries);
      if (cached !== undefined) return cached;
      loading ??= reload().finally(() => {
        loading = undefined;
      });
      loading.catch(() => {});
      return repository.anyRevoked(entries);
    },

    /** Loads the copy now (at start-up), so the first requests take the fast path. */
    async warm(): Promise<void> {
      await reload();
    },
  };
}

export type RevocationList = ReturnType<typeof createRevocationList>;
