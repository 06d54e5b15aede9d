import { auditedEvents } from '../events/outbox.js';
import type { AuditRepository } from '../ports/audit-repository.js';
import type { AuditEntry } from './audit-chain.js';
import { systemClock, type Clock } from '../ports/clock.js';
import { timeOrderedIds, type IdGenerator } from '../ports/id-generator.js';
import type { Transaction } from '../ports/repositories.js';

export type AuditEvent = Omit<AuditEntry, 'at' | 'details'> & { details?: Record<string, unknown> };

/** Most entries one commit takes: a burst is written in a few bounded transactions, not one long one. */
const MAX_BATCH = 64;

interface Waiting { entry: AuditEntry; settle: (error?: unknown) => void }

/**
 * Records authentication and token events in the chained audit log, with the domain events they
 * publish. Appends are serialised anyway (the chain's lock), so the entries that arrive while one
 * commit is under way wait for the next and go together: one append, one lock and one commit
 * for all of them instead of one each (a sign-in's row cost a transaction of its own, and under
 * load the commits queued behind the lock). Each caller still resolves only once its entry is
 * committed. A batch that fails is retried entry by entry, so one bad entry fails alone.
 *
 * `repository` (the audit repository outside any transaction) writes a batch as one step of its
 * own: on Postgres one round trip, where a transaction around it adds BEGIN and COMMIT. Without
 * it, each batch is appended in a transaction of `transaction`.
 */
export function createAuditLog(deps: {
  transaction: Transaction; repository?: Pick<AuditRepository, 'appendBatch'>; clock?: Clock; eventIds?: IdGenerator; onError: (error: unknown, event: AuditEvent) => void;
}) {
  const clock = deps.clock ?? systemClock;
  const eventIds = deps.eventIds ?? timeOrderedIds;
  const waiting: Waiting[] = [];
  let writing = false;

  const write = (entries: readonly AuditEntry[]) => {
    const items = entries.map((entry) => ({ entry, events: auditedEvents(entry, eventIds) }));
    return deps.repository ? deps.repository.appendBatch(items) : deps.transaction((repos) => repos.audit.appendBatch(items));
  };

  async function drain(): Promise<void> {
    writing = true;
    while (waiting.length) {
      const batch = waiting.splice(0, MAX_BATCH);
      try {
        await write(batch.map((w) => w.entry));
        for (const w of batch) w.settle();
      } catch (error) {
        if (batch.length === 1) batch[0]!.settle(error);
        else for (const w of batch) await write([w.entry]).then(() => w.settle(), (alone: unknown) => w.settle(alone));
      }
    }
    writing = false;
  }

  const append = (event: AuditEvent) => new Promise<void>((resolve, reject) => {
    waiting.push({ entry: { ...event, at: clock.now(), details: event.details ?? {} }, settle: (error) => (error === undefined ? resolve() : reject(error)) });
    if (!writing) void drain();
  });

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
