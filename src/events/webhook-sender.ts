import { Webhook } from 'standardwebhooks';

import { eventEnvelope } from '../domain/events/domain-event.js';
import type { WebhookSender } from '../domain/events/webhook-dispatcher.js';
import { postOutbound, type OutboundPolicy } from '../lib/outbound-request.js';

/**
 * Sends an event as a Standard Webhooks message: the event id as `webhook-id` (a receiver
 * drops a duplicate by it), the send time as `webhook-timestamp`, and `webhook-signature`
 * `v1,<HMAC-SHA256 of id.timestamp.body>` computed by the `standardwebhooks` package.
 */
export function createWebhookSender(options: { policy: OutboundPolicy; timeoutMs: number }): WebhookSender {
  return async ({ url, secret, event }) => {
    const body = JSON.stringify(eventEnvelope(event));
    const sentAt = new Date();
    const signature = new Webhook(secret).sign(event.id, sentAt, body);
    return postOutbound(url, {
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Gatehouse-Webhooks/1',
        'webhook-id': event.id,
        'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
        'webhook-signature': signature,
      },
      body,
      timeoutMs: options.timeoutMs,
    }, options.policy);
  };
}
