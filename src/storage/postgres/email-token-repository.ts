import { affectedRows } from './affected-rows.js';
import type { Database } from './database.js';

import type { EmailTokenPurpose, EmailTokenRecord, EmailTokenRepository } from '../../domain/ports/email-token-repository.js';

const toRecord = (r: Record<string, unknown>): EmailTokenRecord => ({
  tokenHash: r.token_hash as string,
  purpose: r.purpose as EmailTokenPurpose,
  userId: r.user_id as string,
  email: r.email as string,
  expiresAt: new Date(r.expires_at as string),
  createdAt: new Date(r.created_at as string),
});

/** One-time email links, by the SHA-256 of their token. */
export function createEmailTokenRepository(db: Database): EmailTokenRepository {
  return {
    async issue(record) {
      await db('email_tokens').where({ user_id: record.userId, purpose: record.purpose }).whereNull('used_at').delete();
      await db('email_tokens').insert({
        token_hash: record.tokenHash, purpose: record.purpose, user_id: record.userId, email: record.email,
        expires_at: record.expiresAt, created_at: record.createdAt,
      });
    },

    async findUsable(tokenHash, purpose, now) {
      const row = await db('email_tokens').where({ token_hash: tokenHash, purpose }).whereNull('used_at').andWhere('expires_at', '>', now).first() as Record<string, unknown> | undefined;
      return row ? toRecord(row) : undefined;
    },

    async consume(tokenHash, purpose, now) {
      // One UPDATE decides: of two concurrent uses, exactly one finds used_at still null.
      const rows = await db('email_tokens')
        .where({ token_hash: tokenHash, purpose }).whereNull('used_at').andWhere('expires_at', '>', now)
        .update({ used_at: now }, ['token_hash', 'purpose', 'user_id', 'email', 'expires_at', 'created_at']) as Array<Record<string, unknown>>;
      return rows[0] ? toRecord(rows[0]) : undefined;
    },

    async deleteExpired(now) {
      return affectedRows(await db('email_tokens').where('expires_at', '<=', now).delete());
    },
  };
}
