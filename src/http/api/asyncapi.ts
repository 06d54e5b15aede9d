import { EVENT_TYPES } from '../../domain/events/event-types.js';
import { eventEnvelopeSchema } from '../../domain/schemas/event-schemas.js';

/**
 * The AsyncAPI 3.0 document of Gatehouse's events, generated from the same catalogue and
 * envelope schema the outbox, the feed, webhooks and RabbitMQ use: one channel per event type
 * (its RabbitMQ routing key), each message the envelope with `type` fixed.
 */
export function buildAsyncApiDocument(options: { issuer: string; version: string; amqpExchange: string }) {
  const types = Object.entries(EVENT_TYPES);
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  for (const [type, description] of types) {
    messages[type] = {
      name: type,
      title: type,
      summary: description,
      contentType: 'application/json',
      payload: { allOf: [{ $ref: '#/components/schemas/Event' }, { type: 'object', properties: { type: { const: type } } }] },
    };
    channels[type] = {
      address: type,
      description,
      messages: { [type]: { $ref: `#/components/messages/${type}` } },
      bindings: { amqp: { is: 'routingKey', exchange: { name: options.amqpExchange, type: 'topic', durable: true, autoDelete: false }, bindingVersion: '0.3.0' } },
    };
    operations[`publish.${type}`] = { action: 'send', channel: { $ref: `#/channels/${type}` }, summary: `Gatehouse publishes ${type}.` };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Gatehouse events',
      version: options.version,
      description: 'Every change Gatehouse makes, published at least once and in order per subject: to a RabbitMQ topic exchange (routing key = event type, persistent, message id = event id), '
        + 'to webhook subscriptions (Standard Webhooks: the same JSON body, `webhook-id` = event id), and through the pull feed GET /api/v1/events (JSON pages or Server-Sent Events). '
        + 'Drop an event id you have already handled: a redelivery carries the same id.',
    },
    defaultContentType: 'application/json',
    servers: {
      rabbitmq: { host: 'rabbitmq:5672', protocol: 'amqp', description: 'The broker AMQP_URL names; the exchange is GATEHOUSE_AMQP_EXCHANGE.' },
      gatehouse: { host: new URL(options.issuer).host, pathname: '/api/v1/events', protocol: new URL(options.issuer).protocol.replace(':', ''), description: 'The pull feed (scope events:read).' },
    },
    channels,
    operations,
    components: { schemas: { Event: eventEnvelopeSchema }, messages },
  };
}
