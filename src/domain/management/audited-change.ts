import { appendAuditedEvents } from '../events/outbox.js';
import type { Clock } from '../ports/clock.js';
import { timeOrderedIds, type IdGenerator } from '../ports/id-generator.js';
import type { Repositories, Transaction } from '../ports/repositories.js';

/** Who made a change, for the audit log. */
export interface ChangeOrigin {
  actor: string;
  requestId?: string;
  ip?: string;
}

export type RecordChange = (action: string, target: string, details?: Record<string, unknown>) => Promise<void>;

/**
 * Runs a management change, its audit row and its events (the outbox) in one transaction: a
 * change is never made without its record and its events, nor recorded without being made.
 */
export function createAuditedChange(deps: { transaction: Transaction; clock: Clock; eventIds?: IdGenerator }) {
  const eventIds = deps.eventIds ?? timeOrderedIds;
  return async function change<T>(origin: ChangeOrigin, work: (repos: Repositories, record: RecordChange) => Promise<T>): Promise<T> {
    return deps.transaction(async (repos) => {
      const record: RecordChange = (action, target, details = {}) => appendAuditedEvents(repos, {
        at: deps.clock.now(), actor: origin.actor, action, target, details, requestId: origin.requestId, ip: origin.ip,
      }, eventIds);
      return work(repos, record);
    });
  };
}

export type AuditedChange = ReturnType<typeof createAuditedChange>;
