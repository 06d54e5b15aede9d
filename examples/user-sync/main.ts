/**
 * The User Service's sync, run on its own: `USER_SYNC_TRANSPORT=amqp` (AMQP_URL,
 * GATEHOUSE_AMQP_EXCHANGE, USER_SYNC_QUEUE) or `webhook` (WEBHOOK_SECRET, PORT); the users in
 * USER_SYNC_FILE. See README.md. (An example reads its environment here; Gatehouse itself reads it
 * only in src/config.)
 */
import { startAmqpConsumer } from './amqp-consumer.js';
import { createJsonFileUserStore } from './user-store.js';
import { startWebhookReceiver } from './webhook-receiver.js';

const env = process.env;
const store = createJsonFileUserStore(env.USER_SYNC_FILE ?? 'users.json');
const log = (event: { id: string; type: string }, outcome: string) => console.log(`${event.type} ${event.id} ${outcome}`);

if (env.USER_SYNC_TRANSPORT === 'webhook') {
  if (!env.WEBHOOK_SECRET) throw new Error('WEBHOOK_SECRET: the secret Gatehouse showed when the subscription was created');
  const receiver = await startWebhookReceiver({ secret: env.WEBHOOK_SECRET, store, port: Number(env.PORT ?? 5010), host: env.HOST ?? '127.0.0.1', onEvent: log });
  console.log(`receiving Gatehouse webhooks at ${receiver.url}`);
} else {
  await startAmqpConsumer({
    url: env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    exchange: env.GATEHOUSE_AMQP_EXCHANGE ?? 'gatehouse.events',
    queue: env.USER_SYNC_QUEUE ?? 'user-service.gatehouse-events',
    store,
    onEvent: log,
    onError: (error) => console.error('user-sync:', error),
  });
  console.log('consuming Gatehouse events from RabbitMQ');
}
