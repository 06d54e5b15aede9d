import type { AuditFilter, AuditRepository } from '../ports/audit-repository.js';
import type { Page, Paging } from '../ports/paging.js';
import { createChainVerifier, type ChainCheck, type ChainedAuditEntry } from './audit-chain.js';

/** Reading the chained audit log: a page, a streamed export, the chain's integrity. */
export function createAuditTrail(deps: { repository: AuditRepository }) {
  return {
    /** Newest first, with the total matching. */
    query: (filter: AuditFilter, page: Paging): Promise<Page<ChainedAuditEntry>> => deps.repository.query(filter, page),
    /** Matching entries in id order, read a page at a time: an export never holds the log in memory. */
    export: (filter: AuditFilter = {}): AsyncGenerator<ChainedAuditEntry> => deps.repository.matching(filter),
    /** Walks the whole chain and reports the first row whose link or content does not match. */
    async verify(): Promise<ChainCheck> {
      const chain = createChainVerifier();
      for await (const row of deps.repository.all()) chain.add(row);
      return chain.result();
    },
  };
}

export type AuditTrail = ReturnType<typeof createAuditTrail>;
