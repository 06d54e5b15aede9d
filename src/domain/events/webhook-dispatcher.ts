import { eventSeenFromLab, type StoredEvent } from './domain-event.js';
import type { Clock } from '../ports/clock.js';
import type { ClaimedDelivery, WebhookRepository } from '../ports/webhook-repository.js';
import type { AuditLog } from '../audit/audit-log.js';

/** Sends one event to one subscription: resolves with the receiver's HTTP status, rejects when none came (refused, timeout, reset). */
export type WebhookSender = (delivery: { url: string; secret: string; event: StoredEvent }) => Promise<{ status: number; body: string }>;

/**
 * Delays before each retry. The default runs over more than 24 hours (5 s … 10 h, 25 h 42 min in
 * all) before a delivery fails for good and its subscription is disabled.
 */
export const DEFAULT_RETRY_DELAYS_SECONDS = [5, 30, 120, 600, 1800, 3600, 7200, 14_400, 28_800, 36_000];

export interface WebhookDispatcherDeps {
  webhooks: WebhookRepository;
  send: WebhookSender;
  audit: AuditLog;
  clock: Clock;
  retryDelaysSeconds?: readonly number[];
  /** How long a node may hold a delivery before another node takes it over (longer than the request timeout). */
  leaseSeconds: number;
  /** Deliveries in flight at once per node. */
  concurrency?: number;
  random?: () => number;
  /** Told each attempt's outcome (the metrics count them): delivered, to be retried, or failed for good. */
  observe?: (outcome: DeliveryOutcomeKind) => void;
}

export type DeliveryOutcomeKind = 'delivered' | 'retry' | 'failed';

/**
 * Delivers due webhook deliveries: leased per row (several nodes share the work, none does it
 * twice), each retried with exponential backoff and ±20 % jitter, a subscription disabled (and
 * audited) once one delivery has failed through the whole schedule. Runs in the background: a
 * slow or failing receiver never holds up the request that caused the event.
 */
export function createWebhookDispatcher(deps: WebhookDispatcherDeps) {
  const delays = deps.retryDelaysSeconds ?? DEFAULT_RETRY_DELAYS_SECONDS;
  const random = deps.random ?? Math.random;
  const concurrency = deps.concurrency ?? 64;
  const observe = deps.observe ?? (() => {});

  /**
   * Sends one delivery. A success is only reported back (the batch records all of them in one
   * write); a failure is recorded here. Answers the HTTP status of a success, undefined otherwise.
   */
  async function deliver({ delivery, url, secret, event, labId }: ClaimedDelivery): Promise<number | undefined> {
    const now = () => deps.clock.now();
    let outcome: { status?: number; error?: string };
    try {
      const response = await deps.send({ url, secret, event: eventSeenFromLab(event, labId) });
      outcome = response.status >= 200 && response.status < 300 ? { status: response.status } : { status: response.status, error: response.body.slice(0, 500) || `HTTP ${response.status}` };
    } catch (error) {
      outcome = { error: error instanceof Error ? error.message : String(error) };
    }
    if (outcome.error === undefined) return outcome.status!;
    await deps.webhooks.setFailing(delivery.webhookId, now());
    const delay = delays[delivery.attempts - 1];
    if (delay !== undefined) {
      const jittered = delay * (0.8 + 0.4 * random());
      await deps.webhooks.finish(delivery.id, {
        status: 'pending', nextAttemptAt: new Date(now().getTime() + jittered * 1000), lastStatus: outcome.status, lastError: outcome.error,
      });
      observe('retry');
      return undefined;
    }
    await deps.webhooks.finish(delivery.id, { status: 'failed', lastStatus: outcome.status, lastError: outcome.error, finishedAt: now() });
    observe('failed');
    const reason = `delivery ${delivery.id} (${delivery.eventType}) failed ${delivery.attempts} times: ${outcome.error}`.slice(0, 500);
    await deps.webhooks.update(delivery.webhookId, { enabled: false, disabledReason: reason });
    await deps.audit.record({ actor: 'system:webhooks', action: 'webhook.disabled', target: `webhook:${delivery.webhookId}`, details: { reason, attempts: delivery.attempts } });
    return undefined;
  }

  return {
    /** Leases what is due and delivers it; answers how many deliveries were attempted. */
    async deliverDue(): Promise<number> {
      const now = deps.clock.now();
      const claimed = await deps.webhooks.claimDue(now, concurrency, new Date(now.getTime() + deps.leaseSeconds * 1000));
      const statuses = await Promise.all(claimed.map(deliver));
      // One write per answer status (commits are what limit throughput), then one per
      // subscription that is healthy again (one that failed in this batch stays marked failing).
      const delivered = new Map<number, number[]>();
      statuses.forEach((status, i) => { if (status !== undefined) delivered.set(status, [...(delivered.get(status) ?? []), claimed[i]!.delivery.id]); });
      for (const [status, ids] of delivered) {
        await deps.webhooks.finish(ids, { status: 'delivered', lastStatus: status, finishedAt: deps.clock.now() });
        ids.forEach(() => observe('delivered'));
      }
      const failed = new Set(claimed.filter((_, i) => statuses[i] === undefined).map((c) => c.delivery.webhookId));
      const healthy = new Set(claimed.filter((_, i) => statuses[i] !== undefined).map((c) => c.delivery.webhookId));
      for (const webhookId of healthy) if (!failed.has(webhookId)) await deps.webhooks.setFailing(webhookId, null);
      return claimed.length;
    },
  };
}

export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>;
