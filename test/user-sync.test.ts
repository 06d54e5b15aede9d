import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import amqp from 'amqplib';

import { startAmqpConsumer } from '../examples/user-sync/amqp-consumer.js';
import { USER_SYNC_EVENT_TYPES } from '../examples/user-sync/apply-user-event.js';
import type { SyncOutcome } from '../examples/user-sync/sync-outcome.js';
import { createJsonFileUserStore, type LocalUser, type UserStore } from '../examples/user-sync/user-store.js';
import { startWebhookReceiver } from '../examples/user-sync/webhook-receiver.js';
import { eventually } from './helpers/eventually.js';
import { packageRoot } from '../src/config/paths.js';
import { freePort, mode, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { api, opsService, serviceToken } from './helpers/management-api.js';

const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
const SCOPES = 'users:read users:write events:read webhooks:read webhooks:write';

type Transport = 'amqp' | 'webhook';

describe(`examples/user-sync: a User Service kept in sync from Gatehouse's events, over RabbitMQ and webhooks (${mode})`, () => {
  const exchange = `gatehouse.user-sync.${process.pid}.${Date.now()}`;
  const queue = `${exchange}.user-service`;
  const dir = mkdtempSync(join(tmpdir(), 'user-sync-'));
  let gh: TestGatehouse;
  let ops: string;
  let webhookId: string;
  const stores = {} as Record<Transport, UserStore>;
  const outcomes: Record<Transport, Array<{ id: string; type: string; subject: string; outcome: SyncOutcome }>> = { amqp: [], webhook: [] };
  const closers: Array<() => Promise<void>> = [];

  before(async () => {
    gh = await startTestGatehouse({ AMQP_URL, GATEHOUSE_AMQP_EXCHANGE: exchange, GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: 'true', GATEHOUSE_EVENTS_POLL_MS: '50' });
    ops = await serviceToken(gh.issuer, opsService, SCOPES);

    stores.amqp = createJsonFileUserStore(join(dir, 'amqp-users.json'));
    const consumer = await startAmqpConsumer({ url: AMQP_URL, exchange, queue, store: stores.amqp, onEvent: (e, outcome) => outcomes.amqp.push({ id: e.id, type: e.type, subject: e.subject, outcome }) });
    closers.push(() => consumer.close());

    // The secret comes with the subscription, which needs the receiver's URL: subscribe a port
    // first, then listen on it with the secret.
    const port = await freePort();
    const made = await api(gh.issuer, ops, 'POST', '/webhooks', { url: `http://127.0.0.1:${port}/gatehouse-events`, eventTypes: USER_SYNC_EVENT_TYPES });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    webhookId = made.body.webhook.id;
    stores.webhook = createJsonFileUserStore(join(dir, 'webhook-users.json'));
    const receiver = await startWebhookReceiver({ secret: made.body.secret, store: stores.webhook, port, onEvent: (e, outcome) => outcomes.webhook.push({ id: e.id, type: e.type, subject: e.subject, outcome }) });
    closers.push(() => receiver.close());
  });
  after(async () => {
    for (const close of closers.reverse()) await close();
    const connection = await amqp.connect(AMQP_URL).catch(() => undefined);
    if (connection) {
      const channel = await connection.createChannel();
      await channel.deleteQueue(queue);
      await channel.deleteExchange(exchange);
      await connection.close();
    }
    await gh?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Waits until both transports' local records satisfy `check`. */
  async function bothSee(userId: string, what: string, check: (user: LocalUser) => boolean): Promise<void> {
    for (const transport of ['amqp', 'webhook'] as const) {
      await eventually(async () => {
        const user = stores[transport].get(userId);
        return user && check(user) ? true : undefined;
      }, { what: `${what} (${transport})`, timeoutMs: 15_000 });
    }
  }

  it('creates, updates, blocks and restores the local user record from events, over both transports', async () => {
    const created = await api(gh.issuer, ops, 'POST', '/users', { username: 'ivana', email: 'ivana@example.org', givenName: 'Ivana', labs: [{ labId: 'lab-1', role: 'member' }] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id as string;
    await bothSee(id, 'the created user', (u) => u.username === 'ivana' && u.email === 'ivana@example.org' && u.status === 'active' && u.labs['lab-1'] === 'member');

    assert.equal((await api(gh.issuer, ops, 'PATCH', `/users/${id}`, { givenName: 'Ivanka', familyName: 'Horvat' })).status, 200);
    await bothSee(id, 'the update', (u) => u.givenName === 'Ivanka' && u.familyName === 'Horvat');

    assert.equal((await api(gh.issuer, ops, 'POST', `/users/${id}/block`, { reason: 'left the company' })).status, 200);
    await bothSee(id, 'the block', (u) => u.status === 'blocked' && u.blockedReason === 'left the company');

    assert.equal((await api(gh.issuer, ops, 'POST', `/users/${id}/restore`)).status, 200);
    await bothSee(id, 'the restore', (u) => u.status === 'active' && u.blockedReason === undefined);

    for (const transport of ['amqp', 'webhook'] as const) {
      // This user's events only: the import's own users may arrive too (RabbitMQ keeps what
      // reaches the exchange once the queue is bound, whenever the relay's first pass runs).
      assert.deepEqual(outcomes[transport].filter((o) => o.type.startsWith('user.') && o.subject === `user:${id}`).map((o) => [o.type, o.outcome]),
        [['user.created', 'applied'], ['user.updated', 'applied'], ['user.blocked', 'applied'], ['user.restored', 'applied']], transport);
    }
  });

  it('ignores an event delivered twice (by its id): a redelivered user.created does not undo a later block', async () => {
    const created = await api(gh.issuer, ops, 'POST', '/users', { username: 'dupont', email: 'dupont@example.org' });
    const id = created.body.id as string;
    await bothSee(id, 'the created user', (u) => u.status === 'active');
    assert.equal((await api(gh.issuer, ops, 'POST', `/users/${id}/block`, { reason: 'duplicate test' })).status, 200);
    await bothSee(id, 'the block', (u) => u.status === 'blocked');
    const createdEvent = outcomes.webhook.find((o) => o.type === 'user.created' && o.subject === `user:${id}`)!;

    // Webhooks: Gatehouse's own redelivery of the logged delivery, signed afresh, same event id.
    const deliveries = await api(gh.issuer, ops, 'GET', `/webhooks/${webhookId}/deliveries?limit=100`);
    assert.equal(deliveries.status, 200, JSON.stringify(deliveries.body));
    const delivery = deliveries.body.items.find((d: { eventId: string }) => d.eventId === createdEvent.id);
    assert.ok(delivery, JSON.stringify(deliveries.body.items[0]));
    assert.equal((await api(gh.issuer, ops, 'POST', `/webhooks/${webhookId}/deliveries/${delivery.id}/redeliver`)).status, 202);
    await eventually(async () => (outcomes.webhook.some((o) => o.id === createdEvent.id && o.outcome === 'duplicate') ? true : undefined), { what: 'the redelivered webhook' });

    // RabbitMQ: the same message published again (what a broker redelivery or a relay retry looks like).
    const connection = await amqp.connect(AMQP_URL);
    try {
      const channel = await connection.createConfirmChannel();
      const original = outcomes.amqp.find((o) => o.id === createdEvent.id)!;
      assert.equal(original.outcome, 'applied');
      const page = await api(gh.issuer, ops, 'GET', `/events?types=user.created&limit=1000`);
      const envelope = page.body.items.find((e: { id: string }) => e.id === createdEvent.id);
      channel.publish(exchange, 'user.created', Buffer.from(JSON.stringify(envelope)), { persistent: true, messageId: envelope.id, contentType: 'application/json' });
      await channel.waitForConfirms();
    } finally {
      await connection.close();
    }
    await eventually(async () => (outcomes.amqp.some((o) => o.id === createdEvent.id && o.outcome === 'duplicate') ? true : undefined), { what: 'the republished message' });

    for (const transport of ['amqp', 'webhook'] as const) {
      assert.equal(stores[transport].get(id)!.status, 'blocked', `${transport}: the duplicate changed nothing`);
      assert.equal(outcomes[transport].filter((o) => o.id === createdEvent.id).length, 2, transport);
    }
  });

  it('refuses a webhook that Gatehouse did not sign with this subscription\'s secret', async () => {
    const receiverUrl = (await api(gh.issuer, ops, 'GET', `/webhooks/${webhookId}`)).body.url as string;
    const body = JSON.stringify({ id: 'forged', type: 'user.blocked', time: new Date().toISOString(), subject: 'user:x', data: { user_id: 'x', user: { username: 'x', status: 'blocked' } } });
    const unsigned = await fetch(receiverUrl, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    assert.equal(unsigned.status, 401);
    const forged = await fetch(receiverUrl, {
      method: 'POST', body,
      headers: { 'webhook-id': 'forged', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': `v1,${Buffer.alloc(32).toString('base64')}` },
    });
    assert.equal(forged.status, 401);
    assert.equal(stores.webhook.get('x'), undefined);
  });

  it('runs as a process (main.ts), over RabbitMQ and over webhooks, as its README shows', async () => {
    const port = await freePort();
    const made = await api(gh.issuer, ops, 'POST', '/webhooks', { url: `http://127.0.0.1:${port}/gatehouse-events`, eventTypes: USER_SYNC_EVENT_TYPES });
    const files = { amqp: join(dir, 'main-amqp.json'), webhook: join(dir, 'main-webhook.json') };
    const main = join(packageRoot, 'dist/examples/user-sync/main.js');
    const children = [
      spawn(process.execPath, [main], { env: { PATH: process.env.PATH, AMQP_URL, GATEHOUSE_AMQP_EXCHANGE: exchange, USER_SYNC_QUEUE: `${queue}.main`, USER_SYNC_FILE: files.amqp }, stdio: 'ignore' }),
      spawn(process.execPath, [main], { env: { PATH: process.env.PATH, USER_SYNC_TRANSPORT: 'webhook', WEBHOOK_SECRET: made.body.secret, PORT: String(port), USER_SYNC_FILE: files.webhook }, stdio: 'ignore' }),
    ];
    try {
      // The queue must exist before the event is published: wait for the consumer's binding.
      const connection = await amqp.connect(AMQP_URL);
      try {
        await eventually(async () => {
          const channel = await connection.createChannel();
          channel.on('error', () => undefined);
          try {
            return (await channel.checkQueue(`${queue}.main`)).consumerCount > 0 ? true : undefined;
          } catch {
            return undefined;
          }
        }, { what: 'the consumer\'s queue', timeoutMs: 15_000 });
      } finally {
        await connection.close();
      }
      const created = await api(gh.issuer, ops, 'POST', '/users', { username: 'mainly', email: 'mainly@example.org' });
      for (const file of Object.values(files)) {
        await eventually(async () => (existsSync(file) && JSON.parse(readFileSync(file, 'utf8')).users[created.body.id]?.username === 'mainly' ? true : undefined), { what: file, timeoutMs: 15_000 });
      }
    } finally {
      for (const child of children) child.kill();
      await api(gh.issuer, ops, 'DELETE', `/webhooks/${made.body.webhook.id}`);
      const connection = await amqp.connect(AMQP_URL);
      await (await connection.createChannel()).deleteQueue(`${queue}.main`);
      await connection.close();
    }
  });
});
