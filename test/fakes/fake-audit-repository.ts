import { chainHash, GENESIS_HASH, type ChainedAuditEntry } from '../../src/domain/audit/audit-chain.js';
import type { AuditFilter, AuditRepository } from '../../src/domain/ports/audit-repository.js';
import { appendFakeEvents } from './fake-event-repository.js';
import { copy, pageOf, type FakeState } from './fake-state.js';

function matches(row: ChainedAuditEntry, filter: AuditFilter): boolean {
  const { action, actor, targetPrefix, from, to, before } = filter;
  if (action !== undefined && (action.endsWith('*') ? !row.action.startsWith(action.slice(0, -1)) : row.action !== action)) return false;
  if (actor !== undefined && row.actor !== actor) return false;
  if (targetPrefix !== undefined && !(row.target ?? '').startsWith(targetPrefix)) return false;
  if (from !== undefined && row.at < from) return false;
  if (to !== undefined && row.at >= to) return false;
  return before === undefined || row.id < before;
}

/** The chained audit log held in FakeState: ids count up from 1, each row hashed onto the previous one. */
export function createFakeAuditRepository(state: FakeState): AuditRepository {
  const repository: AuditRepository = {
    async appendBatch(items) {
      for (const { entry, events } of items) await repository.append(entry, events);
    },
    async append(entry, events = []) {
      appendFakeEvents(state, events);
      const last = state.audit[state.audit.length - 1];
      const prevHash = last?.hash ?? GENESIS_HASH;
      // Stored as JSON would store it, so the hash is checked against what a reader gets back.
      const stored = { ...copy(entry), details: JSON.parse(JSON.stringify(entry.details)) as Record<string, unknown> };
      state.audit.push({ ...stored, id: (last?.id ?? 0) + 1, prevHash, hash: chainHash(prevHash, stored) });
    },
    async *all() {
      for (const row of [...state.audit]) yield copy(row);
    },
    async query(filter, page) {
      return pageOf(state.audit.filter((r) => matches(r, filter)).reverse().map((r) => copy(r)), page);
    },
    async *matching(filter) {
      for (const row of state.audit.filter((r) => matches(r, filter))) yield copy(row);
    },
  };
  return repository;
}
