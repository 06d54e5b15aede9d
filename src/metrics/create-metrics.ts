import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { DeliveryOutcomeKind } from '../domain/events/webhook-dispatcher.js';
import type { StorageObservation } from '../storage/domain-errors.js';

export type LoginOutcome = 'success' | 'failure' | 'lockout';

/**
 * Gatehouse's Prometheus metrics, on a registry of their own (no module state: two Gatehouses in
 * one process keep two registries). Every label takes values from a fixed or registered set
 * (route names, grant types, registered client ids, outcomes), never from raw request input, so
 * series cannot grow without bound.
 */
export function createMetrics(options: {
  poolStats?: () => { used: number; free: number; pending: number; max: number } | undefined;
  /** Per relay of this node, the age in seconds of the oldest event it has still to take; read at scrape time. */
  relayLag?: () => Promise<Map<string, number>>;
} = {}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gatehouse_' });

  const requests = new Counter({ name: 'gatehouse_http_requests_total', help: 'HTTP requests answered, by route, method and status.', labelNames: ['route', 'method', 'status'], registers: [registry] });
  const durations = new Histogram({
    name: 'gatehouse_http_request_duration_seconds', help: 'Time to answer an HTTP request, by route, method and status.', labelNames: ['route', 'method', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry],
  });
  const tokens = new Counter({ name: 'gatehouse_tokens_issued_total', help: 'Successful token endpoint answers, by grant type and client.', labelNames: ['grant_type', 'client_id'], registers: [registry] });
  const introspections = new Counter({ name: 'gatehouse_introspections_total', help: 'Introspection answers, by whether the token was active.', labelNames: ['active'], registers: [registry] });
  const revocations = new Counter({ name: 'gatehouse_revocations_total', help: 'Successful revocation requests.', registers: [registry] });
  const logins = new Counter({ name: 'gatehouse_logins_total', help: 'Password sign-ins, by outcome (a lockout is also a failure).', labelNames: ['outcome'], registers: [registry] });
  const rateLimited = new Counter({ name: 'gatehouse_rate_limited_total', help: 'Requests refused with 429 by a rate limit, by endpoint group and quota (client or ip).', labelNames: ['group', 'quota'], registers: [registry] });
  const reuse = new Counter({ name: 'gatehouse_refresh_reuse_detected_total', help: 'Grants revoked because a used refresh token or code came back.', labelNames: ['grant_type'], registers: [registry] });
  const storage = new Histogram({
    name: 'gatehouse_storage_operation_duration_seconds', help: 'Time of storage calls, by backend, operation and whether they failed.', labelNames: ['backend', 'operation', 'failed'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2], registers: [registry],
  });
  const storageErrors = new Counter({ name: 'gatehouse_storage_errors_total', help: 'Storage calls that failed, by backend.', labelNames: ['backend'], registers: [registry] });
  new Gauge({
    name: 'gatehouse_db_pool_connections', help: 'Database pool connections by state (used, free, pending acquisitions, max).', labelNames: ['state'], registers: [registry],
    collect() {
      const stats = options.poolStats?.();
      if (!stats) return;
      for (const [state, value] of Object.entries(stats)) if (Number.isFinite(value)) this.set({ state }, value);
    },
  });

  const relayed = new Counter({ name: 'gatehouse_events_relayed_total', help: 'Outbox events handed to a sink (confirmed by RabbitMQ, or queued as webhook deliveries) or passed while the sink had nobody to hand them to (no subscription), by relay; a repeat after a failure counts again.', labelNames: ['relay'], registers: [registry] });
  const deliveries = new Counter({ name: 'gatehouse_webhook_deliveries_total', help: 'Webhook delivery attempts, by outcome (delivered, retry: failed and scheduled again, failed: gave up).', labelNames: ['outcome'], registers: [registry] });
  new Gauge({
    name: 'gatehouse_event_relay_lag_seconds', help: 'Age of the oldest event a relay has still to take (0 when caught up), by relay; read from the database at scrape time.', labelNames: ['relay'], registers: [registry],
    async collect() {
      // A database outage must not fail the whole scrape: the lag is then simply absent.
      const lags = await options.relayLag?.().catch(() => undefined);
      this.reset();
      for (const [relay, seconds] of lags ?? []) this.set({ relay }, seconds);
    },
  });

  return {
    registry,
    /** The exposition text (Prometheus text format 0.0.4). */
    render: () => registry.metrics(),
    contentType: registry.contentType,
    request(route: string, method: string, status: number, seconds: number): void {
      const labels = { route, method, status: String(status) };
      requests.inc(labels);
      durations.observe(labels, seconds);
    },
    tokenIssued: (grantType: string, clientId: string) => tokens.inc({ grant_type: grantType, client_id: clientId }),
    introspected: (active: boolean) => introspections.inc({ active: String(active) }),
    revoked: () => revocations.inc(),
    login: (outcome: LoginOutcome) => logins.inc({ outcome }),
    reuseDetected: (grantType: string) => reuse.inc({ grant_type: grantType }),
    /** `relay` is one of the node's relays (rabbitmq, webhooks), a fixed set. */
    eventsRelayed: (relay: string, count: number) => { if (count > 0) relayed.inc({ relay }, count); },
    webhookDelivery: (outcome: DeliveryOutcomeKind) => deliveries.inc({ outcome }),
    rateLimited: (group: string, quota: 'client' | 'ip') => rateLimited.inc({ group, quota }),
    storage(observation: StorageObservation): void {
      storage.observe({ backend: observation.backend, operation: observation.operation, failed: String(observation.failed) }, observation.seconds);
      if (observation.failed) storageErrors.inc({ backend: observation.backend });
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
