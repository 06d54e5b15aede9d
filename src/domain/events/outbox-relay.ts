import type { StoredEvent } from './domain-event.js';
import type { LeaseRelayCursor } from '../ports/event-repository.js';
import type { Repositories } from '../ports/repositories.js';

/** Where a relay hands events: resolves only once they are safely taken (a broker's confirm, rows committed). */
export type EventSink = (events: readonly StoredEvent[], repos: Repositories) => Promise<void>;

/**
 * Relays the outbox to one sink, at least once and in commit order (so in order per subject):
 * a batch at a time under the relay's cursor lease, the cursor moving only after the sink has
 * taken the batch. A node that dies mid-batch leaves the cursor where it was, and the batch goes
 * again from another node: a duplicate carries the same event id.
 */
export function createOutboxRelay(deps: {
  name: string;
  lease: LeaseRelayCursor;
  sink: EventSink;
  batchSize?: number;
  /**
   * Whether the sink has anyone to hand events to (a subscription, a stream). When it has not,
   * the relay moves its cursor to the newest event without reading any: reading and parsing
   * every event for nobody was most of what events cost a write when nobody subscribed.
   */
  listened?: (repos: Repositories) => Promise<boolean>;
}) {
  // Large enough that a broker's confirm (an fsync on its side) and a commit are paid per few hundred events.
  const batchSize = deps.batchSize ?? 500;
  return {
    name: deps.name,
    batchSize,
    /** One batch; answers how many events went or were passed for nobody (0: nothing new, or another node holds the lease). */
    async relayOnce(): Promise<number> {
      const sent = await deps.lease(deps.name, async (afterSeq, repos) => {
        if (deps.listened && !(await deps.listened(repos))) {
          const newest = Math.max(afterSeq, await repos.events.latestSeq());
          // Passed, for nobody: counted like events handed over (the relay is done with them).
          return { afterSeq: newest, result: newest - afterSeq };
        }
        const events = await repos.events.after(afterSeq, {}, batchSize);
        if (events.length === 0) return { afterSeq, result: 0 };
        await deps.sink(events, repos);
        return { afterSeq: events.at(-1)!.seq, result: events.length };
      });
      return sent ?? 0;
    },
  };
}

export type OutboxRelay = ReturnType<typeof createOutboxRelay>;

/** The webhook fan-out: each event becomes one pending delivery per subscription that wants it, in the relay's transaction. */
export const webhookFanOut: EventSink = (events, repos) => repos.webhooks.enqueueFor(events);
