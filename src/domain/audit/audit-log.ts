import { appendAuditedEvents } from '../events/outbox.js';
import type { AuditEntry } from './audit-chain.js';
import { systemClock, type Clock } from '../ports/clock.js';
import { timeOrderedIds, type IdGenerator } from '../ports/id-generator.js';
import type { Transaction } from '../ports/repositories.js';

export type AuditEvent = Omit<AuditEntry, 'at' | 'details'> & { details?: Record<string, unknown> };

/** Records authentication and token events in the chained audit log, with the domain events they publish (one transaction). */
export function createAuditLog(deps: { transaction: Transaction; clock?: Clock; eventIds?: IdGenerator; onError: (error: unknown, event: AuditEvent) => void }) {
  const clock = deps.clock ?? systemClock;
  const eventIds = deps.eventIds ?? timeOrderedIds;
  const append = (event: AuditEvent) => deps.transaction((repos) => appendAuditedEvents(repos, { ...event, at: clock.now(), details: event.details ?? {} }, eventIds));
  return {
    /** Appends and waits: for events the caller must not outrun (a login that succeeded). */
    async record(event: AuditEvent): Promise<void> {
      await append(event);
    },
    /** Appends in the background: for oidc-provider's synchronous events. Failures are logged. */
    recordLater(event: AuditEvent): void {
      append(event).catch((error: unknown) => deps.onError(error, event));
    },
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;
