import type { RevocationRepository } from '../../domain/ports/revocation-repository.js';
import type { RevocationEntry } from '../../domain/ports/store.js';
import type { Database } from './database.js';

/** The durable revocation list: the authority the Redis copy is loaded from. */
export function createRevocationRepository(db: Database): RevocationRepository {
  const table = () => db('revocations');
  return {
    async add(entries: ReadonlyArray<RevocationEntry>): Promise<void> {
      if (!entries.length) return;
      await table()
        .insert(entries.map(({ kind, value, expiresAt }) => ({ kind, value, expires_at: new Date(expiresAt * 1000) })))
        .onConflict(['kind', 'value'])
        .merge(['expires_at']);
    },

    async anyRevoked(entries: ReadonlyArray<Pick<RevocationEntry, 'kind' | 'value'>>): Promise<boolean> {
      if (!entries.length) return false;
      const row = await table()
        .first('kind')
        .where('expires_at', '>', db.fn.now())
        .andWhere((q) => {
          for (const { kind, value } of entries) q.orWhere({ kind, value });
        });
      return Boolean(row);
    },

    async live(): Promise<RevocationEntry[]> {
      const rows = await table().select('kind', 'value', 'expires_at').where('expires_at', '>', db.fn.now());
      return rows.map((r) => ({ kind: r.kind, value: r.value, expiresAt: Math.floor(new Date(r.expires_at).getTime() / 1000) }));
    },

    async deleteExpired(): Promise<number> {
      return table().where('expires_at', '<', db.fn.now()).delete();
    },
  };
}
