import type { Database } from './database.js';

import { AlreadyConsumedError, type PayloadRepository, type StoredPayload } from '../../domain/ports/payload-repository.js';

interface Row { payload: unknown; consumed_at: Date | string | null }

function toStored(row: Row): StoredPayload {
  return {
    payload: (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as Record<string, unknown>,
    consumedAtMs: row.consumed_at ? new Date(row.consumed_at).getTime() : undefined,
  };
}

/** oidc-provider models kept durably in Postgres (grants and tokens). Knows no protocol rules. */
export function createOidcPayloadRepository(db: Database): PayloadRepository {
  const table = () => db('oidc_payloads');
  return {
    async upsert(kind: string, id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void> {
      const row = {
        kind,
        id,
        payload: JSON.stringify(payload),
        grant_id: typeof payload.grantId === 'string' ? payload.grantId : null,
        account_id: typeof payload.accountId === 'string' ? payload.accountId : null,
        expires_at: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
      };
      await table().insert(row).onConflict(['kind', 'id']).merge(['payload', 'grant_id', 'account_id', 'expires_at']);
    },

    async find(kind: string, id: string): Promise<StoredPayload | undefined> {
      const row = await table()
        .first('payload', 'consumed_at')
        .where({ kind, id })
        .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', db.fn.now()));
      return row ? toStored(row) : undefined;
    },

    /**
     * Marks consumed exactly once; a second caller gets AlreadyConsumedError. The time is the
     * application's clock, the same one requests' arrival times are taken from.
     */
    async consume(kind: string, id: string, at = new Date()): Promise<void> {
      const updated = await table().where({ kind, id }).whereNull('consumed_at').update({ consumed_at: at });
      if (updated === 0) throw new AlreadyConsumedError(`${kind} already consumed`);
    },

    /** Undoes a consume whose request then failed on the server's side. */
    async unconsume(kind: string, id: string): Promise<void> {
      await table().where({ kind, id }).update({ consumed_at: null });
    },

    async findByGrantId(kind: string, grantId: string) {
      const rows = await table()
        .select('id', 'payload', 'consumed_at')
        .where({ kind, grant_id: grantId })
        .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', db.fn.now()));
      return rows.map((row: Row & { id: string }) => ({ id: row.id, ...toStored(row) }));
    },

    async destroy(kind: string, id: string): Promise<void> {
      await table().where({ kind, id }).delete();
    },

    async destroyByGrantId(kind: string, grantId: string): Promise<void> {
      await table().where({ kind, grant_id: grantId }).delete();
    },

    /** Grants of an account, for revoking everything a blocked user holds. */
    async grantIdsOfAccount(accountId: string): Promise<string[]> {
      return table().where({ kind: 'Grant', account_id: accountId }).pluck('id');
    },

    /** Unexpired models of one kind, newest first. */
    async listByKind(kind: string, limit: number): Promise<Array<StoredPayload & { id: string }>> {
      const rows = await table()
        .select('id', 'payload', 'consumed_at')
        .where({ kind })
        .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', db.fn.now()))
        .orderByRaw("(payload->>'iat')::bigint desc, id")
        .limit(limit);
      return rows.map((row: { id: string; payload: unknown; consumed_at: unknown }) => ({
        id: row.id,
        payload: (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as Record<string, unknown>,
        ...(row.consumed_at ? { consumedAtMs: new Date(row.consumed_at as string).getTime() } : {}),
      }));
    },

    async deleteExpired(): Promise<number> {
      return table().where('expires_at', '<', db.fn.now()).delete();
    },
  };
}
