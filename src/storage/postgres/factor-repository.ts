import type { Database } from './database.js';
import { affectedRows } from './affected-rows.js';

import type { Factor, FactorRepository, PasskeyFactor } from '../../domain/ports/factor-repository.js';

const date = (value: unknown): Date | undefined => (value === null || value === undefined ? undefined : new Date(value as string));

function fromRow(r: Record<string, unknown>): Factor {
  const base = { id: r.id as string, userId: r.user_id as string, name: r.name as string, createdAt: new Date(r.created_at as string), lastUsedAt: date(r.last_used_at) };
  if (r.kind === 'totp') {
    return { ...base, kind: 'totp', sealedSecret: r.totp_secret as string, lastStep: r.totp_last_step === null ? undefined : Number(r.totp_last_step) };
  }
  return {
    ...base, kind: 'passkey', credentialId: r.credential_id as string, publicKey: r.public_key as string,
    signCount: Number(r.sign_count ?? 0), transports: (r.transports as string[] | null) ?? [], backedUp: Boolean(r.backed_up),
  };
}

/** Second factors and recovery codes (migration 007). */
export function createFactorRepository(db: Database): FactorRepository {
  return {
    async list(userId) {
      const rows = await db('user_factors').where({ user_id: userId }).orderBy([{ column: 'created_at' }, { column: 'id' }]) as Array<Record<string, unknown>>;
      return rows.map(fromRow);
    },
    async insert(factor) {
      const common = { id: factor.id, user_id: factor.userId, kind: factor.kind, name: factor.name, created_at: factor.createdAt };
      await db('user_factors').insert(factor.kind === 'totp'
        ? { ...common, totp_secret: factor.sealedSecret, totp_last_step: factor.lastStep ?? null }
        : {
          ...common, credential_id: factor.credentialId, public_key: factor.publicKey, sign_count: factor.signCount,
          transports: JSON.stringify(factor.transports), backed_up: factor.backedUp,
        });
    },
    async findPasskey(credentialId) {
      const row = await db('user_factors').where({ credential_id: credentialId, kind: 'passkey' }).first() as Record<string, unknown> | undefined;
      return row ? fromRow(row) as PasskeyFactor : undefined;
    },
    async advanceTotpStep(factorId, step, at) {
      const updated = await db('user_factors')
        .where({ id: factorId, kind: 'totp' })
        .andWhere((q) => q.whereNull('totp_last_step').orWhere('totp_last_step', '<', step))
        .update({ totp_last_step: step, last_used_at: at });
      return affectedRows(updated) === 1;
    },
    async recordPasskeyUse(factorId, signCount, at) {
      await db('user_factors').where({ id: factorId }).update({ sign_count: signCount, last_used_at: at });
    },
    async rename(userId, factorId, name) {
      return affectedRows(await db('user_factors').where({ id: factorId, user_id: userId }).update({ name })) === 1;
    },
    async remove(userId, factorId) {
      return affectedRows(await db('user_factors').where({ id: factorId, user_id: userId }).delete()) === 1;
    },
    async removeAll(userId) {
      await db('recovery_codes').where({ user_id: userId }).delete();
      return affectedRows(await db('user_factors').where({ user_id: userId }).delete());
    },
    async replaceRecoveryCodes(userId, codeHashes) {
      await db('recovery_codes').where({ user_id: userId }).delete();
      if (codeHashes.length) await db('recovery_codes').insert(codeHashes.map((code_hash) => ({ user_id: userId, code_hash })));
    },
    async useRecoveryCode(userId, codeHash, at) {
      const updated = await db('recovery_codes').where({ user_id: userId, code_hash: codeHash }).whereNull('used_at').update({ used_at: at });
      return affectedRows(updated) === 1;
    },
    async unusedRecoveryCodes(userId) {
      const row = await db('recovery_codes').where({ user_id: userId }).whereNull('used_at').count<{ count: string | number }[]>('* as count').first();
      return Number(row?.count ?? 0);
    },
  };
}
