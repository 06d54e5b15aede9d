import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import amqp from 'amqplib';
import pg from 'pg';

import { eventually } from './helpers/eventually.js';
import { relaysStarted, writeOutboxEvents } from './helpers/outbox-events.js';
import { createSandbox, mode, spawnGatehouse, type ChildGatehouse, type Sandbox } from './helpers/harness.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';

const AMQP_HOST = '127.0.0.1';
const AMQP_PORT = 5672;
/** Events relayed in all, in waves; each wave meets a different fault. */
const WAVE = 1000;
const SUBJECTS = 100;

/** One arrival at a sink, as the consumer saw it. */
interface Arrival { id: string; subject: string; n: number; body: string }

/**
 * Everything that arrived at one sink, checked the way a consumer relies on it: every event at
 * least once, a repeat identical to the first copy (same id, same body), and per subject the
 * first copies in the order the events were written.
 */
function checkDelivery(sink: string, arrivals: Arrival[], written: Map<string, number>) {
  const first = new Map<string, Arrival>();
  for (const a of arrivals) {
    assert.ok(written.has(a.id), `${sink}: an event that was never written: ${a.id}`);
    const seen = first.get(a.id);
    if (seen) assert.equal(a.body, seen.body, `${sink}: a duplicate of ${a.id} differs from its first copy`);
    else first.set(a.id, a);
  }
  const lost = [...written.keys()].filter((id) => !first.has(id));
  assert.deepEqual(lost, [], `${sink}: ${lost.length} event(s) lost`);
  const lastBySubject = new Map<string, number>();
  for (const a of first.values()) {
    const previous = lastBySubject.get(a.subject) ?? -1;
    assert.ok(a.n > previous, `${sink}: ${a.subject} event #${a.n} arrived first after #${previous}`);
    lastBySubject.set(a.subject, a.n);
  }
  return { arrivals: arrivals.length, distinct: first.size, duplicates: arrivals.length - first.size };
}

/** A webhook receiver that takes a few milliseconds per delivery, so a node always has some in flight. */
async function startReceiver(arrivals: Arrival[]) {
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const event = JSON.parse(body) as { id: string; subject: string; data: { n: number } };
      assert.equal(req.headers['webhook-id'], event.id);
      arrivals.push({ id: event.id, subject: event.subject, n: event.data.n, body });
      setTimeout(() => { res.statusCode = 204; res.end(); }, 2);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

// Two node processes sharing one database: the embedded mode is one process by construction.
(mode === 'servers' ? describe : describe.skip)('event relays under faults: two nodes, kill -9, RabbitMQ and Postgres cut off (servers)', function () {
  this.timeout(150_000);
  let sandbox: Sandbox;
  let postgres: TcpProxy;
  let broker: TcpProxy;
  let direct: pg.Pool;
  let consumer: amqp.ChannelModel;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let env: Record<string, string>;
  const nodes: ChildGatehouse[] = [];
  const exchange = `gatehouse.faults.${process.pid}.${Date.now()}`;
  const viaAmqp: Arrival[] = [];
  const viaWebhook: Arrival[] = [];
  const written = new Map<string, number>();

  before(async () => {
    sandbox = await createSandbox();
    const db = new URL(sandbox.env.DATABASE_URL!);
    direct = new pg.Pool({ connectionString: db.href, max: 2 });
    postgres = await startTcpProxy(db.hostname, Number(db.port || 5432));
    broker = await startTcpProxy(AMQP_HOST, AMQP_PORT);
    db.host = `127.0.0.1:${postgres.port}`;

    consumer = await amqp.connect(`amqp://guest:guest@${AMQP_HOST}:${AMQP_PORT}`);
    const channel = await consumer.createChannel();
    await channel.assertExchange(exchange, 'topic', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, exchange, '#');
    await channel.consume(queue, (m) => {
      if (!m) return;
      const body = m.content.toString();
      const event = JSON.parse(body) as { id: string; subject: string; data: { n: number } };
      assert.equal(m.properties.messageId, event.id);
      viaAmqp.push({ id: event.id, subject: event.subject, n: event.data.n, body });
    }, { noAck: true });
    receiver = await startReceiver(viaWebhook);

    env = {
      ...sandbox.env, DATABASE_URL: db.href, AMQP_URL: `amqp://guest:guest@127.0.0.1:${broker.port}`, GATEHOUSE_AMQP_EXCHANGE: exchange,
      GATEHOUSE_EVENTS_POLL_MS: '20', GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: 'true', GATEHOUSE_WEBHOOK_TIMEOUT_SECONDS: '1',
      // Short retries, and many: a delivery retried through the faults must not exhaust them.
      GATEHOUSE_WEBHOOK_RETRY_DELAYS: Array(20).fill('0.2').join(','),
    };
    nodes.push(await spawnGatehouse(env)); // migrates
    nodes.push(await spawnGatehouse(env));
    await direct.query('INSERT INTO webhooks (id, url, secret) VALUES ($1, $2, $3)', ['wh-faults', receiver.url, `whsec_${randomBytes(32).toString('base64')}`]);
    await relaysStarted(direct, [`amqp:${exchange}`, 'webhooks']);
  });

  after(async () => {
    for (const node of nodes) await node.stop().catch(() => undefined);
    await consumer?.close().catch(() => undefined);
    await receiver?.close();
    await postgres?.close();
    await broker?.close();
    await direct?.end();
    await sandbox?.dispose();
  });

  async function writeWave(count: number) {
    const ids = await writeOutboxEvents(direct, count, { firstN: written.size, subjects: SUBJECTS });
    for (const id of ids) written.set(id, written.size);
  }

  const distinct = (arrivals: Arrival[]) => new Set(arrivals.map((a) => a.id)).size;
  const reached = async (count: number, what: string) => {
    try {
      await eventually(async () => (distinct(viaAmqp) >= count && distinct(viaWebhook) >= count ? true : undefined), { what, timeoutMs: 30_000, intervalMs: 5 });
    } catch (error) {
      throw new Error(`${(error as Error).message}: ${distinct(viaAmqp)} via RabbitMQ, ${distinct(viaWebhook)} via webhooks of ${count}\n${nodes.map((n) => n.output().slice(-3000)).join('\n---\n')}`);
    }
  };

  it('relays every event at least once, in order per subject, through kill -9 of a node, RabbitMQ and Postgres cut off', async () => {
    // 1. A node dies mid-delivery (its webhook leases and any unconfirmed batch are left behind), then comes back.
    await writeWave(WAVE);
    await reached(WAVE / 5, 'the first wave under way');
    nodes[0]!.process.kill('SIGKILL');

    // 2. The broker unreachable for both nodes while a wave is written; webhooks go on meanwhile.
    broker.cut();
    await writeWave(WAVE);
    await new Promise((r) => setTimeout(r, 1500));
    broker.restore();
    nodes[0] = await spawnGatehouse(env);

    // 3. Postgres cut off from both nodes mid-delivery: open transactions (a held cursor lease) abort.
    await writeWave(WAVE);
    await reached(2 * WAVE + WAVE / 5, 'the third wave under way');
    postgres.cut();
    await new Promise((r) => setTimeout(r, 1500));
    postgres.restore();

    await reached(written.size, 'every event at both sinks');
    const amqpCount = checkDelivery('RabbitMQ', viaAmqp, written);
    const webhookCount = checkDelivery('webhooks', viaWebhook, written);
    // Both nodes were alive at the end and still relaying (no crash on the cut connections).
    for (const node of nodes) assert.equal(node.process.exitCode, null, node.output().slice(-2000));
    console.log(`      ${written.size} events: RabbitMQ ${JSON.stringify(amqpCount)}, webhooks ${JSON.stringify(webhookCount)}`);
  });
});
