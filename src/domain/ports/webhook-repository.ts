import type { StoredEvent } from '../events/domain-event.js';
import type { Page, Paging } from './paging.js';

export interface WebhookRecord {
  id: string;
  url: string;
  description?: string;
  /** Event types delivered; empty means every type. */
  eventTypes: string[];
  /** Only events concerning this lab (a lab admin's subscriptions always have one). */
  labId?: string;
  enabled: boolean;
  disabledReason?: string;
  /** Since when deliveries have failed without a success in between. */
  failingSince?: Date;
  createdAt: Date;
  updatedAt: Date;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface DeliveryRecord {
  id: number;
  webhookId: string;
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastStatus?: number;
  lastError?: string;
  createdAt: Date;
  finishedAt?: Date;
}

/** A delivery leased to this node, with what it needs to send it. */
export interface ClaimedDelivery {
  delivery: DeliveryRecord;
  url: string;
  secret: string;
  event: StoredEvent;
  /** The subscription's lab filter: the event goes out as that lab sees it. */
  labId?: string;
}

export interface DeliveryOutcome {
  status: DeliveryStatus;
  nextAttemptAt?: Date;
  lastStatus?: number;
  lastError?: string;
  finishedAt?: Date;
}

export interface WebhookChange {
  url?: string;
  description?: string;
  eventTypes?: string[];
  enabled?: boolean;
  disabledReason?: string | null;
}

/** Webhook subscriptions and their delivery log. Every read that a lab admin makes passes the lab. */
export interface WebhookRepository {
  insert(webhook: { id: string; url: string; description?: string; eventTypes: string[]; labId?: string; secret: string }): Promise<void>;
  /** Undefined when absent or outside `labId` (when given). */
  find(id: string, labId?: string): Promise<WebhookRecord | undefined>;
  list(labId: string | undefined, paging: Paging): Promise<Page<WebhookRecord>>;
  update(id: string, change: WebhookChange): Promise<boolean>;
  delete(id: string): Promise<boolean>;
  /** Whether any subscription exists (when none does, the fan-out need not read the outbox). */
  anySubscription(): Promise<boolean>;
  /**
   * One pending delivery per event and enabled subscription that wants it (its type, its labs),
   * for a whole relay batch at once (every event between its first and last position); an existing (subscription, event) pair is left as it is.
   */
  enqueueFor(events: readonly StoredEvent[]): Promise<void>;
  /**
   * Leases due deliveries until `leaseUntil`: for each subscription and subject only the oldest
   * unfinished one (so a subject's events arrive in order), skipping rows another node holds.
   */
  claimDue(now: Date, limit: number, leaseUntil: Date): Promise<ClaimedDelivery[]>;
  /** Records an attempt's outcome; several deliveries with the same outcome in one write. */
  finish(deliveryIds: number | readonly number[], outcome: DeliveryOutcome): Promise<void>;
  /** Marks a subscription failing since `since` (kept if already failing), or healthy (null). */
  setFailing(webhookId: string, since: Date | null): Promise<void>;
  deliveries(webhookId: string, paging: Paging): Promise<Page<DeliveryRecord>>;
  /** Queues a delivery again now (attempts start over). False when absent. */
  redeliver(webhookId: string, deliveryId: number, now: Date): Promise<boolean>;
}
