import type { DeliveryRecord, WebhookRecord } from '../../../domain/ports/webhook-repository.js';
import { eventTypeSchema } from '../../../domain/schemas/event-schemas.js';
import { defineOperation, type ApiOperation } from '../api-operation.js';
import { confinedLab, originOf } from '../caller.js';
import type { Services } from '../../../services.js';
import { idSchema, pageOf, paginationQuery, strictObject, timestamp, type Page } from '../schemas.js';

const urlSchema = { type: 'string', format: 'uri', maxLength: 2000, description: 'Where deliveries are POSTed: https (plain http only where configuration allows it), never a private, loopback or link-local address unless configuration allows it.' } as const;
const eventTypesSchema = { type: 'array', items: eventTypeSchema, maxItems: 100, uniqueItems: true, description: 'Event types delivered; empty or absent: every type.' } as const;
const descriptionSchema = { type: 'string', maxLength: 500 } as const;

const webhookSchema = strictObject({
  id: { type: 'string' },
  url: { type: 'string' },
  description: { type: 'string' },
  eventTypes: { type: 'array', items: { type: 'string' } },
  labId: { type: 'string', description: 'Only events concerning this lab.' },
  enabled: { type: 'boolean' },
  disabledReason: { type: 'string', description: 'Why it was disabled (by an operator, or automatically after a delivery failed through every retry).' },
  failingSince: { ...timestamp, description: 'Deliveries have failed since then, with no success in between.' },
  createdAt: timestamp,
  updatedAt: timestamp,
}, ['id', 'url', 'eventTypes', 'enabled', 'createdAt', 'updatedAt']);

const deliverySchema = strictObject({
  id: { type: 'integer' },
  eventId: { type: 'string', description: 'The `webhook-id` header of each attempt.' },
  eventType: { type: 'string' },
  status: { enum: ['pending', 'delivered', 'failed'] },
  attempts: { type: 'integer' },
  nextAttemptAt: timestamp,
  lastStatus: { type: 'integer', description: 'The receiver\'s HTTP status at the last attempt.' },
  lastError: { type: 'string', description: 'Why the last attempt failed (status and the start of the answer, a timeout, a refused connection).' },
  createdAt: timestamp,
  finishedAt: timestamp,
}, ['id', 'eventId', 'eventType', 'status', 'attempts', 'createdAt']);

const webhookParams = strictObject({ webhookId: idSchema }, ['webhookId']);

const toWebhook = (w: WebhookRecord) => ({
  ...w, failingSince: w.failingSince?.toISOString(), createdAt: w.createdAt.toISOString(), updatedAt: w.updatedAt.toISOString(),
});
const toDelivery = (d: DeliveryRecord) => ({
  id: d.id, eventId: d.eventId, eventType: d.eventType, status: d.status, attempts: d.attempts,
  nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt.toISOString() : undefined, lastStatus: d.lastStatus, lastError: d.lastError,
  createdAt: d.createdAt.toISOString(), finishedAt: d.finishedAt?.toISOString(),
});

/**
 * /webhooks: subscriptions to events, delivered as Standard Webhooks (signed with the secret
 * shown once at creation), retried for over 24 hours, with a delivery log and redelivery. Lab
 * admins manage their lab's subscriptions only.
 */
export function createWebhookOperations({ webhooks }: Pick<Services, 'webhooks'>): ApiOperation[] {
  return [
    defineOperation<Record<string, never>, Page>({
      operationId: 'listWebhooks', method: 'get', path: '/webhooks', tag: 'Webhooks', summary: 'List webhook subscriptions',
      access: { scope: 'webhooks:read', labAdmin: true },
      query: strictObject({ ...paginationQuery }),
      responses: { 200: { description: 'A page of subscriptions (never their secrets).', schema: pageOf(webhookSchema) } },
      async handle({ caller, query }) {
        const page = await webhooks.list(confinedLab(caller), query);
        return { body: { items: page.items.map(toWebhook), total: page.total, limit: query.limit, offset: query.offset } };
      },
    }),
    defineOperation<Record<string, never>, unknown, { url: string; description?: string; eventTypes?: string[]; labId?: string }>({
      operationId: 'createWebhook', method: 'post', path: '/webhooks', tag: 'Webhooks', summary: 'Subscribe a URL to events',
      description: 'The answer carries the signing secret (`whsec_…`) once; Gatehouse never shows it again. Verify each delivery with any Standard Webhooks library.',
      access: { scope: 'webhooks:write', labAdmin: true },
      body: strictObject({ url: urlSchema, description: descriptionSchema, eventTypes: eventTypesSchema, labId: { ...idSchema, description: 'Only events concerning this lab (a lab admin: always their own).' } }, ['url']),
      responses: {
        201: { description: 'Created; the secret is shown this once.', schema: strictObject({ webhook: webhookSchema, secret: { type: 'string' } }, ['webhook', 'secret']) },
        400: { description: 'A URL that is not allowed, an unknown event type or lab (the failing field is named).' },
      },
      async handle(request) {
        const { webhook, secret } = await webhooks.create(originOf(request), request.body, confinedLab(request.caller));
        return { status: 201, body: { webhook: toWebhook(webhook), secret }, headers: { Location: `/api/v1/webhooks/${webhook.id}` } };
      },
    }),
    defineOperation<{ webhookId: string }>({
      operationId: 'getWebhook', method: 'get', path: '/webhooks/{webhookId}', tag: 'Webhooks', summary: 'Read a webhook subscription',
      access: { scope: 'webhooks:read', labAdmin: true },
      params: webhookParams,
      responses: { 200: { description: 'The subscription.', schema: webhookSchema }, 404: { description: 'No such subscription (or another lab\'s).' } },
      async handle({ caller, params }) {
        return { body: toWebhook(await webhooks.get(params.webhookId, confinedLab(caller))) };
      },
    }),
    defineOperation<{ webhookId: string }, unknown, { url?: string; description?: string; eventTypes?: string[]; enabled?: boolean }>({
      operationId: 'updateWebhook', method: 'patch', path: '/webhooks/{webhookId}', tag: 'Webhooks', summary: 'Change, disable or enable a subscription',
      description: 'Enabling a subscription clears its failure state; deliveries left pending go out again.',
      access: { scope: 'webhooks:write', labAdmin: true },
      params: webhookParams,
      body: strictObject({ url: urlSchema, description: descriptionSchema, eventTypes: eventTypesSchema, enabled: { type: 'boolean' } }, [], { minProperties: 1 }),
      responses: { 200: { description: 'The subscription as changed.', schema: webhookSchema }, 400: { description: 'A field that is not allowed.' }, 404: { description: 'No such subscription.' } },
      async handle(request) {
        return { body: toWebhook(await webhooks.update(originOf(request), request.params.webhookId, request.body, confinedLab(request.caller))) };
      },
    }),
    defineOperation<{ webhookId: string }>({
      operationId: 'deleteWebhook', method: 'delete', path: '/webhooks/{webhookId}', tag: 'Webhooks', summary: 'Delete a subscription and its delivery log',
      access: { scope: 'webhooks:write', labAdmin: true },
      params: webhookParams,
      responses: { 204: { description: 'Deleted.' }, 404: { description: 'No such subscription.' } },
      async handle(request) {
        await webhooks.remove(originOf(request), request.params.webhookId, confinedLab(request.caller));
        return {};
      },
    }),
    defineOperation<{ webhookId: string }, Page>({
      operationId: 'listWebhookDeliveries', method: 'get', path: '/webhooks/{webhookId}/deliveries', tag: 'Webhooks', summary: 'The delivery log of a subscription',
      description: 'Newest first: each event sent (or being retried), its attempts, the receiver\'s last status or the reason it failed.',
      access: { scope: 'webhooks:read', labAdmin: true },
      params: webhookParams,
      query: strictObject({ ...paginationQuery }),
      responses: { 200: { description: 'A page of deliveries.', schema: pageOf(deliverySchema) }, 404: { description: 'No such subscription.' } },
      async handle({ caller, params, query }) {
        const page = await webhooks.deliveries(params.webhookId, confinedLab(caller), query);
        return { body: { items: page.items.map(toDelivery), total: page.total, limit: query.limit, offset: query.offset } };
      },
    }),
    defineOperation<{ webhookId: string; deliveryId: number }>({
      operationId: 'redeliverWebhook', method: 'post', path: '/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver', tag: 'Webhooks', summary: 'Send a delivery again',
      description: 'Queues the delivery at once with its attempts started over (same event, same `webhook-id`). Audited.',
      access: { scope: 'webhooks:write', labAdmin: true },
      params: strictObject({ webhookId: idSchema, deliveryId: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } }, ['webhookId', 'deliveryId']),
      responses: { 202: { description: 'Queued.' }, 404: { description: 'No such subscription or delivery.' } },
      async handle(request) {
        await webhooks.redeliver(originOf(request), request.params.webhookId, request.params.deliveryId, confinedLab(request.caller));
        return { status: 202 };
      },
    }),
  ];
}
