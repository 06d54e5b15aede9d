import { Readable } from 'node:stream';

import type { ChainedAuditEntry } from '../../../domain/audit/audit-chain.js';
import type { AuditFilter } from '../../../domain/ports/audit-repository.js';
import { defineOperation, type ApiOperation } from '../api-operation.js';
import type { Services } from '../../../services.js';
import { pageOf, paginationQuery, strictObject, timestamp, type Page } from '../schemas.js';

interface AuditQuery { action?: string; actor?: string; target?: string; from?: string; to?: string; before?: number }

const filterQuery = {
  action: { type: 'string', minLength: 1, maxLength: 100, description: 'Exact action (`login.failed`), or a prefix ending in `*` (`user.*`).' },
  actor: { type: 'string', minLength: 1, maxLength: 200, description: 'Exact actor: `user:<id>`, `client:<id>`, `cli:<os user>`, `import:<file>` (the import applied at start) or `anonymous`.' },
  target: { type: 'string', minLength: 1, maxLength: 300, description: 'Prefix of the target: `user:<id>` also finds `user:<id>/grant:<grantId>`.' },
  from: { ...timestamp, description: 'Entries at or after this instant.' },
  to: { ...timestamp, description: 'Entries before this instant.' },
  // Ids are bigint, but a number past 2^53 is already a different number in JavaScript.
  before: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Entries with a smaller id: pins paging to what existed when the first page was read, or pages by cursor (the last id seen, offset 0).' },
} as const;

const entrySchema = strictObject({
  id: { type: 'integer' },
  at: timestamp,
  actor: { type: 'string' },
  action: { type: 'string' },
  target: { type: 'string' },
  details: { type: 'object' },
  requestId: { type: 'string' },
  ip: { type: 'string' },
  hash: { type: 'string', description: 'SHA-256 over prevHash and this entry\'s canonical JSON.' },
  prevHash: { type: 'string', description: 'The hash of the entry before it (id order).' },
}, ['id', 'at', 'actor', 'action', 'details', 'hash', 'prevHash']);

const toFilter = (q: AuditQuery): AuditFilter => ({
  action: q.action, actor: q.actor, targetPrefix: q.target,
  from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined, before: q.before,
});

const toEntry = (e: ChainedAuditEntry) => ({
  id: e.id, at: e.at.toISOString(), actor: e.actor, action: e.action, target: e.target, details: e.details,
  requestId: e.requestId, ip: e.ip, hash: e.hash, prevHash: e.prevHash,
});

/** GET /audit and /audit/export: the chained audit log, for platform admins and services (never lab admins: it spans every lab). */
export function createAuditOperations({ auditTrail }: Pick<Services, 'auditTrail'>): ApiOperation[] {
  return [
    defineOperation<Record<string, never>, Page & AuditQuery>({
      operationId: 'queryAudit', method: 'get', path: '/audit', tag: 'Audit', summary: 'Query the audit log',
      description: 'Newest first (by id, the order of the hash chain). Filters combine with AND.',
      access: { scope: 'audit:read' },
      query: strictObject({ ...paginationQuery, ...filterQuery }),
      responses: { 200: { description: 'A page of entries.', schema: pageOf(entrySchema) } },
      async handle({ query: { limit, offset, ...filter } }) {
        const page = await auditTrail.query(toFilter(filter), { limit, offset });
        return { body: { items: page.items.map(toEntry), total: page.total, limit, offset } };
      },
    }),
    defineOperation({
      operationId: 'verifyAudit', method: 'get', path: '/audit/verification', tag: 'Audit', summary: 'Check the audit log\'s hash chain',
      description: 'Walks the whole chain in id order, as `gatehouse audit verify` does, and names the first row whose link or content does not match. '
        + 'It reads every row: seconds for millions of entries, so call it on demand, not in a loop.',
      access: { scope: 'audit:read' },
      responses: {
        200: {
          description: 'The result of the walk.',
          schema: strictObject({
            ok: { type: 'boolean', description: 'Every row links to the one before it and matches its hash.' },
            rows: { type: 'integer', minimum: 0, description: 'Rows checked (up to and including the broken one).' },
            brokenAt: { type: 'integer', description: 'Id of the first row that does not match (only when not ok).' },
            reason: { type: 'string', description: 'Why it does not match (only when not ok).' },
            checkedAt: timestamp,
          }, ['ok', 'rows', 'checkedAt']),
        },
      },
      async handle() {
        const check = await auditTrail.verify();
        return { body: { ...check, checkedAt: new Date().toISOString() } };
      },
    }),
    defineOperation<Record<string, never>, AuditQuery>({
      operationId: 'exportAudit', method: 'get', path: '/audit/export', tag: 'Audit', summary: 'Export the audit log as JSON lines',
      description: 'One entry per line in id order, streamed (the log is never held in memory). Without filters the export can be checked with the hash chain: each line\'s prevHash is the previous line\'s hash.',
      access: { scope: 'audit:read' },
      query: strictObject({ ...filterQuery }),
      responses: { 200: { description: 'Entries, one JSON object per line.', type: 'application/x-ndjson', schema: entrySchema } },
      async handle({ query }) {
        const entries = auditTrail.export(toFilter(query));
        async function* lines() {
          for await (const entry of entries) yield `${JSON.stringify(toEntry(entry))}\n`;
        }
        return {
          body: Readable.from(lines()),
          type: 'application/x-ndjson',
          headers: { 'Content-Disposition': 'attachment; filename="audit.ndjson"' },
        };
      },
    }),
  ];
}
