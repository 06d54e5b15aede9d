import type { ChannelModel, ConfirmChannel } from 'amqplib';

import { eventEnvelope } from '../domain/events/domain-event.js';
import type { EventSink } from '../domain/events/outbox-relay.js';

/**
 * Publishes events to a RabbitMQ topic exchange: routing key = event type, persistent messages,
 * the event id as message id, and publisher confirms — the sink resolves only once the broker
 * has confirmed every message of the batch, so the relay's cursor never passes an event the
 * broker did not take. A broken connection is dropped and opened again on the next batch.
 */
export function createAmqpSink(options: { url: string; exchange: string }): EventSink & { close(): Promise<void> } {
  let open: Promise<{ connection: ChannelModel; channel: ConfirmChannel }> | undefined;

  function connect() {
    open ??= (async () => {
      // Loaded on first use: a node without a broker keeps the client's code out of memory.
      const { default: amqp } = await import('amqplib');
      const connection = await amqp.connect(options.url, { timeout: 5000 });
      const forget = () => { open = undefined; };
      connection.on('error', forget);
      connection.on('close', forget);
      const channel = await connection.createConfirmChannel();
      channel.on('error', forget);
      channel.on('close', forget);
      await channel.assertExchange(options.exchange, 'topic', { durable: true });
      return { connection, channel };
    })().catch((error: unknown) => {
      open = undefined;
      throw error;
    });
    return open;
  }

  const sink: EventSink = async (events) => {
    const { channel } = await connect();
    try {
      for (const event of events) {
        channel.publish(options.exchange, event.type, Buffer.from(JSON.stringify(eventEnvelope(event))), {
          persistent: true, messageId: event.id, contentType: 'application/json', type: event.type, timestamp: Math.floor(event.time.getTime() / 1000),
        });
      }
      await channel.waitForConfirms();
    } catch (error) {
      open = undefined;
      channel.connection && (await channel.close().catch(() => undefined));
      throw error;
    }
  };
  return Object.assign(sink, {
    async close() {
      const current = open;
      open = undefined;
      if (current) await (await current.catch(() => undefined))?.connection.close().catch(() => undefined);
    },
  });
}
