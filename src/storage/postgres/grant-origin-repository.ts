import { affectedRows } from './affected-rows.js';
import type { Database } from './database.js';

import type { AccountGrant, GrantOrigin, GrantOriginRepository } from '../../domain/ports/grant-origin-repository.js';

const fromEpoch = (seconds: unknown): Date | undefined => (seconds === null || seconds === undefined ? undefined : new Date(Number(seconds) * 1000));

/** Where grants were created (IP, user agent), and the grants of an account with their last use. */
export function createGrantOriginRepository(db: Database): GrantOriginRepository {
  return {
    /** One insert at consent; a grant consented to again keeps its first origin. */
    async record(origin: GrantOrigin): Promise<void> {
      await db('grant_origins').insert({
        grant_id: origin.grantId, account_id: origin.accountId, client_id: origin.clientId, ip: origin.ip ?? null, user_agent: origin.userAgent ?? null,
      }).onConflict('grant_id').ignore();
    },

    /** Unexpired grants of an account, newest first. Token rows are found through their grant_id index. */
    async grantsOfAccount(accountId: string): Promise<AccountGrant[]> {
      const rows = await db('oidc_payloads as g')
        .leftJoin('grant_labs as gl', 'gl.grant_id', 'g.id')
        .leftJoin('grant_origins as o', 'o.grant_id', 'g.id')
        .select(
          'g.id', 'g.expires_at', 'gl.lab_id', 'o.ip', 'o.user_agent', 'o.created_at as origin_at',
          db.raw("g.payload->>'clientId' as client_id"),
          db.raw("(g.payload->>'iat')::bigint as iat"),
          db.raw("(SELECT max((t.payload->>'iat')::bigint) FROM oidc_payloads t WHERE t.grant_id = g.id AND t.kind IN ('RefreshToken', 'AccessToken')) as last_token_iat"),
        )
        .where({ 'g.kind': 'Grant', 'g.account_id': accountId })
        .andWhere((q) => q.whereNull('g.expires_at').orWhere('g.expires_at', '>', db.fn.now()))
        .orderByRaw("(g.payload->>'iat')::bigint DESC NULLS LAST, g.id") as Array<Record<string, unknown>>;
      return rows.map((r) => {
        const createdAt = fromEpoch(r.iat) ?? new Date(r.origin_at as string);
        const lastToken = fromEpoch(r.last_token_iat);
        return {
          id: r.id as string,
          clientId: r.client_id as string,
          createdAt,
          lastUsedAt: lastToken && lastToken > createdAt ? lastToken : createdAt,
          expiresAt: r.expires_at ? new Date(r.expires_at as string) : undefined,
          labId: (r.lab_id as string | null) ?? undefined,
          ip: (r.ip as string | null) ?? undefined,
          userAgent: (r.user_agent as string | null) ?? undefined,
        };
      });
    },

    /** Origins of grants that no longer exist (revoked or swept). */
    async deleteOrphans(): Promise<number> {
      return affectedRows(await db('grant_origins')
        .whereNotExists(db('oidc_payloads').select(db.raw('1')).where('kind', 'Grant').whereRaw('oidc_payloads.id = grant_origins.grant_id'))
        .delete());
    },
  };
}
