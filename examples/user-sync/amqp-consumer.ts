import amqp from 'amqplib';

import { USER_SYNC_BINDINGS, type GatehouseEvent } from './apply-user-event.js';
import { isGatehouseEvent, syncEvent, type SyncOutcome } from './sync-outcome.js';
import type { UserStore } from './user-store.js';

export interface AmqpConsumerOptions {
  /** e.g. `amqp://guest:guest@127.0.0.1:5672` */
  url: string;
  /** Gatehouse's `GATEHOUSE_AMQP_EXCHANGE` (default `gatehouse.events`). */
  exchange: string;
  /** This service's own durable queue: events published while it is down wait there. */
  queue: string;
  store: UserStore;
  onEvent?: (event: GatehouseEvent, outcome: SyncOutcome) => void;
  onError?: (error: unknown) => void;
}

/**
 * Consumes user, membership and role events from Gatehouse's topic exchange through a durable
 * queue of its own. A message is acknowledged only after the store committed it, so a crash
 * redelivers it, and the store's event-id check turns that redelivery into a no-op.
 */
export async function startAmqpConsumer(options: AmqpConsumerOptions): Promise<{ close(): Promise<void> }> {
  const connection = await amqp.connect(options.url);
  const channel = await connection.createChannel();
  await channel.assertExchange(options.exchange, 'topic', { durable: true });
  await channel.assertQueue(options.queue, { durable: true });
  for (const key of USER_SYNC_BINDINGS) await channel.bindQueue(options.queue, options.exchange, key);
  // One message at a time keeps the per-subject order Gatehouse publishes in.
  await channel.prefetch(1);
  await channel.consume(options.queue, (message) => {
    if (!message) return;
    let event: unknown;
    try {
      event = JSON.parse(message.content.toString('utf8'));
    } catch (error) {
      options.onError?.(error);
    }
    if (!isGatehouseEvent(event)) {
      channel.nack(message, false, false); // unreadable: dead-letter it (or drop), never loop on it
      return;
    }
    try {
      options.onEvent?.(event, syncEvent(options.store, event));
      channel.ack(message);
    } catch (error) {
      options.onError?.(error);
      channel.nack(message, false, true); // the store failed: try again
    }
  }, { noAck: false });
  return {
    async close() {
      await channel.close().catch(() => undefined);
      await connection.close().catch(() => undefined);
    },
  };
}
