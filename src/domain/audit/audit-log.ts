import type { AuditRepository } from '../ports/audit-repository.js';
import type { AuditEntry } from './audit-chain.js';
import { systemClock, type Clock } from '../ports/clock.js';

export type AuditEvent = Omit<AuditEntry, 'at' | 'details'> & { details?: Record<string, unknown> };

/** Records authentication and token events in the chained audit log. */
export function createAuditLog(deps: { repository: AuditRepository; clock?: Clock; onError: (error: unknown, event: AuditEvent) => void }) {
  const clock = deps.clock ?? systemClock;
  return {
    /** Appends and waits: for events the caller must not outrun (a login that succeeded). */
    async record(event: AuditEvent): Promise<void> {
      await deps.repository.append({ ...event, at: clock.now(), details: event.details ?? {} });
    },
    /** Appends in the background: for oidc-provider's synchronous events. Failures are logged. */
    recordLater(event: AuditEvent): void {
      deps.repository.append({ ...event, at: clock.now(), details: event.details ?? {} }).catch((error: unknown) => deps.onError(error, event));
    },
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;
