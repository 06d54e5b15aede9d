import { createHash } from 'node:crypto';

import canonicalize from 'canonicalize';

/** What one audit row says. Identifiers only: never a password, secret or token. */
export interface AuditEntry {
  at: Date;
  /** who: `user:<id>`, `client:<id>`, `cli:<os user>`, or `anonymous` */
  actor: string;
  /** what, e.g. `login.failed`, `grant.revoked`, `refresh_token.reuse_detected` */
  action: string;
  /** on what, e.g. `user:<id>`, `grant:<id>` */
  target?: string;
  details: Record<string, unknown>;
  requestId?: string;
  ip?: string;
}

export interface ChainedAuditEntry extends AuditEntry {
  id: number;
  prevHash: string;
  hash: string;
}

/** The `prev_hash` of the first row. */
export const GENESIS_HASH = '0'.repeat(64);

/** The entry's RFC 8785 canonical JSON: what its hash covers besides the previous hash. */
export function canonicalEntry(entry: AuditEntry): string {
  return canonicalize(JSON.parse(JSON.stringify({
    at: entry.at.toISOString(),
    actor: entry.actor,
    action: entry.action,
    target: entry.target ?? null,
    details: entry.details,
    request_id: entry.requestId ?? null,
    ip: entry.ip ?? null,
  }))) ?? '';
}

/**
 * SHA-256 over the previous hash and the entry's RFC 8785 canonical JSON: any change to a
 * row, or a row removed or inserted, changes every hash after it. The Postgres function
 * `audit_append` (migrations/20261130_015_audit_append_function.ts) computes the same from
 * `canonicalEntry`.
 */
export function chainHash(prevHash: string, entry: AuditEntry): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalEntry(entry)).digest('hex');
}

export type ChainCheck = { ok: true; rows: number } | { ok: false; rows: number; brokenAt: number; reason: string };

/** Walks rows in id order and reports the first one whose link or content does not match. */
export function createChainVerifier() {
  let expectedPrev = GENESIS_HASH;
  let rows = 0;
  let broken: ChainCheck | undefined;
  return {
    add(row: ChainedAuditEntry): void {
      if (broken) return;
      rows += 1;
      if (row.prevHash !== expectedPrev) {
        broken = { ok: false, rows, brokenAt: row.id, reason: 'prev_hash does not match the previous row (a row was removed, inserted or edited before it)' };
      } else if (chainHash(row.prevHash, row) !== row.hash) {
        broken = { ok: false, rows, brokenAt: row.id, reason: 'content does not match its hash (the row was edited)' };
      }
      expectedPrev = row.hash;
    },
    result(): ChainCheck {
      return broken ?? { ok: true, rows };
    },
  };
}
