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
  /**
   * The newest event's seq, read outside the lease. With it, a pass first compares it with the
   * cursor this relay last committed: when no event is newer, the pass would find nothing, and
   * it is skipped — one query instead of a lease transaction of five or six. Every node polls
   * every relay a few times a second, mostly finding nothing (Gatehouse idling cost ~90 queries
   * a second, the CPU of a few sign-ins). Events are numbered under the audit lock, so in
   * commit order: nothing can appear below the newest seq later.
   */
  newestSeq?: () => Promise<number>;
  /** A full pass at least this often even when nothing looks newer (a cursor moved by hand, a restored database); default 10 s. */
  fullPassEveryMs?: number;
  now?: () => number;
}) {
  // Large enough that a broker's confirm (an fsync on its side) and a commit are paid per few hundred events.
  const batchSize = deps.batchSize ?? 500;
  const now = deps.now ?? Date.now;
  const fullPassEveryMs = deps.fullPassEveryMs ?? 10_000;
  /** The cursor as this relay's last committed pass left it, and when. */
  let passed: { seq: number; at: number } | undefined;
  return {
    name: deps.name,
    batchSize,
    /** One batch; answers how many events went or were passed for nobody (0: nothing new, or another node holds the lease). */
    async relayOnce(): Promise<number> {
      if (deps.newestSeq && passed && now() - passed.at < fullPassEveryMs && (await deps.newestSeq()) <= passed.seq) return 0;
      let left: number | undefined;
      const sent = await deps.lease(deps.name, async (afterSeq, repos) => {
        const pass = await (async () => {
          if (deps.listened && !(await deps.listened(repos))) {
            const newest = Math.max(afterSeq, await repos.events.latestSeq());
            // Passed, for nobody: counted like events handed over (the relay is done with them).
            return { afterSeq: newest, result: newest - afterSeq };
          }
          const events = await repos.events.after(afterSeq, {}, batchSize);
          if (events.length === 0) return { afterSeq, result: 0 };
          await deps.sink(events, repos);
          return { afterSeq: events.at(-1)!.seq, result: events.length };
        })();
        left = pass.afterSeq;
        return pass;
      });
      // Only once the lease has committed the cursor (another node holding it: nothing is known).
      passed = sent === undefined || left === undefined ? undefined : { seq: left, at: now() };
      return sent ?? 0;
    },
  };
}

export type OutboxRelay = ReturnType<typeof createOutboxRelay>;

/** The webhook fan-out: each event becomes one pending delivery per subscription that wants it, in the relay's transaction. */
export const webhookFanOut: EventSink = (events, repos) => repos.webhooks.enqueueFor(events);
