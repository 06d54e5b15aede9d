import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import amqp from 'amqplib';
import pg from 'pg';

import { clientCredentialsToken, createRevocationFeed, createVerifier, type Verifier } from '@gatehouse/verifier';
import { createBenchSandbox, type BenchSandbox } from './bench-sandbox.js';
import { freePort, spawnChildServer, type ChildServer } from './child-server.js';
import { createPositiveFlag } from './positive-flag.js';
import { processCpuMicros } from './process-cpu.js';
import { relaysStarted, writeOutboxEvents } from '../test/helpers/outbox-events.js';
import { userTokens } from '../test/helpers/user-tokens.js';

/**
 * What the events (issue 9) cost and how fast they go, each figure measured in this run:
 * (a) management writes (PATCH /users) with events on against a build whose event derivation
 *     yields nothing (a copy of dist/ with eventsOfAuditEntry returning []: audit only), in
 *     alternating rounds on two servers;
 * (b) relay throughput: events written straight into the outbox, timed until RabbitMQ's consumer
 *     (events/s) and a local webhook receiver (deliveries/s) have every one;
 * (c) @gatehouse/verifier with the revocation feed on against off, alternating rounds;
 * (d) time from a block request to the first refusal by an offline verifier following the feed.
 * Needs Postgres, Redis and RabbitMQ (servers mode). See docs/PERFORMANCE.md ("Events").
 */

const usage = `usage: node dist/bench/events.js [options]
  --duration S        seconds per round of writes and of verifications (default 3)
  --rounds N          alternating rounds per side (default 5)
  --connections N     concurrent management writes (default 10)
  --events N          events per relay measurement (default 5000)
  --subjects N        subjects they are spread over (default 200; one subject is delivered in order, one at a time)
  --trials N          block-to-refusal trials (default 100)
  --poll-ms MS        the verifier feed's poll interval (default 1000, the verifier's default)
  --database-url U    (default $DATABASE_URL or postgres://postgres@127.0.0.1:5432/test)
  --redis-url U       (default $REDIS_URL or redis://127.0.0.1:6379)
  --amqp-url U        (default amqp://guest:guest@127.0.0.1:5672)
  --only PART         writes, relays or verifier (default all three)
  --cpu-prof DIR      run (a)'s two servers with node --cpu-prof, writing DIR/events-on.cpuprofile and
                      DIR/events-off.cpuprofile (for bench/cpu-profile-summary.ts; profiling slows them)
  --help`;

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '10' },
    events: { type: 'string', default: '5000' },
    subjects: { type: 'string', default: '200' },
    trials: { type: 'string', default: '100' },
    'poll-ms': { type: 'string', default: '1000' },
    'database-url': { type: 'string', default: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
    'redis-url': { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
    'amqp-url': { type: 'string', default: 'amqp://guest:guest@127.0.0.1:5672' },
    only: { type: 'string' },
    'cpu-prof': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
const positive = createPositiveFlag('events', usage);
const durationMs = positive('duration', flags.duration, false) * 1000;
const rounds = positive('rounds', flags.rounds, true);
const connections = positive('connections', flags.connections, true);
const eventCount = positive('events', flags.events, true);
const subjects = positive('subjects', flags.subjects, true);
const trials = positive('trials', flags.trials, true);
const pollMs = positive('poll-ms', flags['poll-ms'], true);

const packageRoot = fileURLToPath(new URL('../../', import.meta.url));
const opsService = { id: 'ops-service', secret: 's3cret-value-ops-service' };
const backend = { id: 'cms-backend', secret: 's3cret-value-backend' };
const CMS = 'https://cms.example';
const out = (line = '') => process.stdout.write(`${line}\n`);
const median = (values: number[]) => quantile(values, 0.5);
function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * dist/ as built, except that event derivation yields nothing: every change still writes its
 * audit row, no event. Placed inside dist/ so node_modules resolves; views, config and
 * package.json are linked (the compiled code finds them three levels above dist/src/config).
 */
function buildWithoutEvents(): string {
  const root = join(packageRoot, 'dist/bench-no-events');
  rmSync(root, { recursive: true, force: true });
  mkdirSync(join(root, 'dist'), { recursive: true });
  for (const part of ['src', 'migrations']) cpSync(join(packageRoot, 'dist', part), join(root, 'dist', part), { recursive: true });
  for (const part of ['views', 'config', 'package.json', 'node_modules', 'packages']) symlinkSync(join(packageRoot, part), join(root, part));
  const derivation = join(root, 'dist/src/domain/events/events-of-audit-entry.js');
  const source = readFileSync(derivation, 'utf8').replace('export function eventsOfAuditEntry(', 'function eventsOfAuditEntryAsBuilt(');
  if (!source.includes('eventsOfAuditEntryAsBuilt')) throw new Error(`${derivation}: eventsOfAuditEntry not found`);
  writeFileSync(derivation, `${source}\n/** The bench's "events off": no change yields an event. */\nexport function eventsOfAuditEntry() { return []; }\nvoid eventsOfAuditEntryAsBuilt;\n`);
  return join(root, 'dist/src/main.js');
}

async function startServer(name: string, script: string, sandbox: BenchSandbox, extra: Record<string, string> = {}, profile?: string): Promise<ChildServer> {
  const port = await freePort();
  return spawnChildServer({
    name, script, port, readyPath: '/readyz', timeoutMs: 120_000,
    nodeArgs: profile && flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${flags['cpu-prof']}`, `--cpu-prof-name=${profile}.cpuprofile`] : [],
    env: {
      PATH: process.env.PATH ?? '', ...sandbox.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', GATEHOUSE_IMPORT: join(packageRoot, 'test/fixtures/import.json'),
      PORT: String(port), HOST: '127.0.0.1', ISSUER: `http://127.0.0.1:${port}`, ...extra,
    },
  });
}

async function apiToken(server: ChildServer, scope: string): Promise<string> {
  return clientCredentialsToken({ issuer: server.url, clientId: opsService.id, clientSecret: opsService.secret, resource: `${server.url}/api`, scope })();
}

async function api(server: ChildServer, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}

/** (a) `connections` loops of PATCH /users/{id} (each an audited change, and an event when on) for `ms`. */
async function writeRound(server: ChildServer, token: string, userIds: string[], ms: number): Promise<{ perSecond: number; failed: number; cpuPerWrite: number }> {
  const cpuBefore = processCpuMicros(server.process.pid!) ?? NaN;
  let done = 0;
  let failed = 0;
  let next = 0;
  const until = Date.now() + ms;
  const started = Date.now();
  await Promise.all(Array.from({ length: connections }, async () => {
    while (Date.now() < until) {
      const n = next++;
      const { status } = await api(server, token, 'PATCH', `/users/${userIds[n % userIds.length]}`, { givenName: `Bench ${n}` });
      if (status === 200) done++;
      else failed++;
    }
  }));
  return { perSecond: done / ((Date.now() - started) / 1000), failed, cpuPerWrite: ((processCpuMicros(server.process.pid!) ?? NaN) - cpuBefore) / done };
}

async function managementWrites(sandboxes: BenchSandbox[]): Promise<void> {
  out('(a) management writes: PATCH /users with events on vs a build whose event derivation yields nothing');
  const servers = {
    on: await startServer('events on', join(packageRoot, 'dist/src/main.js'), sandboxes[0]!, {}, 'events-on'),
    off: await startServer('events off', buildWithoutEvents(), sandboxes[1]!, {}, 'events-off'),
  };
  try {
    const sides = {} as Record<'on' | 'off', { token: string; users: string[]; rates: number[]; cpu: number[] }>;
    for (const [side, server] of Object.entries(servers) as Array<['on' | 'off', ChildServer]>) {
      const token = await apiToken(server, 'users:read users:write');
      const users: string[] = [];
      for (let i = 0; i < 50; i++) {
        const made = await api(server, token, 'POST', '/users', { username: `bench-${i}`, email: `bench-${i}@example.test` });
        if (made.status !== 201) throw new Error(`${side}: POST /users answered ${made.status} ${JSON.stringify(made.body)}`);
        users.push(made.body.id);
      }
      await writeRound(server, token, users, 1000); // warm-up
      sides[side] = { token, users, rates: [], cpu: [] };
    }
    for (let round = 1; round <= rounds; round++) {
      // The order flips every round: both sides see the same drift in machine load.
      for (const side of (round % 2 ? ['on', 'off'] : ['off', 'on']) as Array<'on' | 'off'>) {
        const { perSecond, failed, cpuPerWrite } = await writeRound(servers[side], sides[side].token, sides[side].users, durationMs);
        if (failed) throw new Error(`${side}: ${failed} writes failed`);
        sides[side].rates.push(perSecond);
        sides[side].cpu.push(cpuPerWrite);
        out(`  round ${round}  events ${side.padEnd(3)} ${perSecond.toFixed(0).padStart(6)} writes/s  ${(cpuPerWrite / 1000).toFixed(2)} ms Gatehouse CPU/write`);
      }
    }
    const [on, off] = [median(sides.on.rates), median(sides.off.rates)];
    out(`  median: on ${on.toFixed(0)} writes/s, off ${off.toFixed(0)} writes/s, ratio on/off ${(on / off).toFixed(2)} (target >= 0.90)`);
    const [cpuOn, cpuOff] = [median(sides.on.cpu), median(sides.off.cpu)];
    out(`  Gatehouse CPU per write (relays included): on ${(cpuOn / 1000).toFixed(2)} ms, off ${(cpuOff / 1000).toFixed(2)} ms, throughput this CPU allows on/off ${(cpuOff / cpuOn).toFixed(2)}`);
  } finally {
    await servers.on.stop();
    await servers.off.stop();
  }
}

/** (b) relay throughput to RabbitMQ, then to a webhook receiver, on one node. */
async function relayThroughput(sandbox: BenchSandbox): Promise<void> {
  out('');
  out(`(b) relay throughput: ${eventCount} events over ${subjects} subjects written straight into the outbox, one node`);
  const exchange = `gatehouse.bench.${process.pid}.${Date.now()}`;
  const direct = new pg.Pool({ connectionString: sandbox.env.DATABASE_URL, max: 2 });
  const consumer = await amqp.connect(flags['amqp-url']);
  const arrived = { amqp: new Set<string>(), webhooks: new Set<string>() };
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      arrived.webhooks.add(String(req.headers['webhook-id']));
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const server = await startServer('relay', join(packageRoot, 'dist/src/main.js'), sandbox, {
    AMQP_URL: flags['amqp-url'], GATEHOUSE_AMQP_EXCHANGE: exchange, GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: 'true',
  });
  try {
    const channel = await consumer.createChannel();
    await channel.assertExchange(exchange, 'topic', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, exchange, '#');
    await channel.consume(queue, (m) => { if (m) arrived.amqp.add(String(m.properties.messageId)); }, { noAck: true });
    await relaysStarted(direct, [`amqp:${exchange}`, 'webhooks']);

    const timed = async (sink: keyof typeof arrived, firstN: number) => {
      const cpuBefore = processCpuMicros(server.process.pid!) ?? NaN;
      const started = Date.now();
      const ids = await writeOutboxEvents(direct, eventCount, { firstN, subjects });
      while (!ids.every((id) => arrived[sink].has(id))) {
        if (Date.now() - started > 300_000) throw new Error(`${sink}: only ${ids.filter((id) => arrived[sink].has(id)).length} of ${ids.length} arrived in 300 s`);
        await sleep(5);
      }
      return { perSecond: eventCount / ((Date.now() - started) / 1000), cpu: ((processCpuMicros(server.process.pid!) ?? NaN) - cpuBefore) / eventCount };
    };
    const toAmqp = await timed('amqp', 0);
    out(`  RabbitMQ: ${toAmqp.perSecond.toFixed(0)} events/s (persistent, publisher confirms; target >= 1000); Gatehouse CPU ${toAmqp.cpu.toFixed(0)} µs/event`);
    await direct.query('INSERT INTO webhooks (id, url, secret) VALUES ($1, $2, $3)', ['wh-bench', `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, `whsec_${randomBytes(32).toString('base64')}`]);
    const toWebhooks = await timed('webhooks', eventCount);
    out(`  webhooks: ${toWebhooks.perSecond.toFixed(0)} deliveries/s, Gatehouse CPU ${toWebhooks.cpu.toFixed(0)} µs/delivery (signed, one subscription, receiver answers 204 at once; target >= 500; RabbitMQ relaying the same events meanwhile)`);
  } finally {
    await server.stop();
    await consumer.close().catch(() => undefined);
    receiver.closeAllConnections();
    receiver.close();
    await direct.end();
  }
}

/** (c) and (d) against one server: block-to-refusal trials, then verifier throughput with the feed holding their revocations. */
async function verifierWithFeed(sandbox: BenchSandbox): Promise<void> {
  out('');
  const server = await startServer('verifier', join(packageRoot, 'dist/src/main.js'), sandbox, { GATEHOUSE_EVENTS_POLL_MS: '50' });
  const feed = createRevocationFeed({
    issuer: server.url, pollIntervalMs: pollMs,
    accessToken: clientCredentialsToken({ issuer: server.url, clientId: opsService.id, clientSecret: opsService.secret, resource: `${server.url}/api`, scope: 'events:read' }),
  });
  try {
    await feed.start();
    const withFeed = createVerifier({ issuer: server.url, audience: CMS, revocations: { feed } });
    const without = createVerifier({ issuer: server.url, audience: CMS });
    // Renewed before it expires: on a loaded machine the trials outlast one token.
    const ops = clientCredentialsToken({ issuer: server.url, clientId: opsService.id, clientSecret: opsService.secret, resource: `${server.url}/api`, scope: 'users:read users:write' });

    out(`(d) block to refusal by an offline verifier (feed polled every ${pollMs} ms), ${trials} trials`);
    const users: Array<{ id: string; token: string }> = [];
    for (let i = 0; i < trials; i++) {
      const user = { username: `blockee-${i}`, password: `a-long-enough-password-${i}` };
      const made = await api(server, await ops(), 'POST', '/users', { ...user, email: `blockee-${i}@example.test`, labs: [{ labId: 'lab-1', role: 'member' }] });
      if (made.status !== 201) throw new Error(`POST /users answered ${made.status} ${JSON.stringify(made.body)}`);
      const tokens = await userTokens(server.url, { scope: 'openid cases:read', resource: CMS, user });
      await withFeed.verify(tokens.access_token);
      users.push({ id: made.body.id, token: tokens.access_token });
    }
    const delays: number[] = [];
    for (const user of users) {
      // At a random point of the feed's poll cycle: back to back, every block would land just after a read.
      await sleep(Math.random() * pollMs);
      const started = performance.now();
      const blocked = await api(server, await ops(), 'POST', `/users/${user.id}/block`, { reason: 'bench' });
      if (blocked.status !== 200) throw new Error(`block answered ${blocked.status}`);
      for (;;) {
        try {
          await withFeed.verify(user.token);
        } catch {
          break;
        }
        if (performance.now() - started > 30_000) throw new Error('not refused within 30 s');
        await sleep(2);
      }
      delays.push(performance.now() - started);
    }
    out(`  median ${median(delays).toFixed(0)} ms, p99 ${quantile(delays, 0.99).toFixed(0)} ms, max ${Math.max(...delays).toFixed(0)} ms (from sending the block request; requirement: within 5 s)`);

    out('');
    out(`(c) @gatehouse/verifier with the revocation feed on (${feed.size} revocations held) vs off, alternating rounds`);
    const token = String((await (await fetch(`${server.url}/token`, {
      method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${backend.id}:${backend.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }),
    })).json() as { access_token: string }).access_token);
    // Throughput, and this process's CPU per verification (less disturbed by a shared machine).
    const rate = async (verifier: Verifier, ms: number) => {
      let n = 0;
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      while (performance.now() - started < ms) {
        await verifier.verify(token);
        n++;
      }
      const cpu = process.cpuUsage(cpuBefore);
      return { perSecond: n / ((performance.now() - started) / 1000), cpuMicros: (cpu.user + cpu.system) / n };
    };
    await rate(without, 500);
    await rate(withFeed, 500);
    const rates = { on: [] as number[], off: [] as number[] };
    const cpu = { on: [] as number[], off: [] as number[] };
    const roundMs = Math.min(durationMs, 1000);
    for (let round = 1; round <= rounds * 4; round++) {
      for (const side of (round % 2 ? ['on', 'off'] : ['off', 'on']) as Array<'on' | 'off'>) {
        const measured = await rate(side === 'on' ? withFeed : without, roundMs);
        rates[side].push(measured.perSecond);
        cpu[side].push(measured.cpuMicros);
      }
    }
    const [on, off] = [median(rates.on), median(rates.off)];
    out(`  median of ${rounds * 4} rounds x ${roundMs} ms: on ${on.toFixed(0)} verifications/s, off ${off.toFixed(0)}, ratio on/off ${(on / off).toFixed(2)} (target >= 0.90)`);
    const [cpuOn, cpuOff] = [median(cpu.on), median(cpu.off)];
    out(`  CPU per verification: on ${cpuOn.toFixed(1)} µs, off ${cpuOff.toFixed(1)} µs, throughput this CPU allows on/off ${(cpuOff / cpuOn).toFixed(2)}`);
  } finally {
    feed.stop();
    await server.stop();
  }
}

async function main(): Promise<void> {
  const machine = cpus();
  out('Gatehouse events bench');
  out(`  machine: ${machine.length} x ${machine[0]?.model ?? 'unknown cpu'}, node ${process.version}, loadavg ${loadavg().map((l) => l.toFixed(2)).join(' ')} at start`);
  out('');
  const servers = { adminDatabaseUrl: flags['database-url'], redisUrl: flags['redis-url'] };
  const sandboxes: BenchSandbox[] = [];
  try {
    for (let i = 0; i < 4; i++) sandboxes.push(await createBenchSandbox(servers));
    const runs = (part: string) => flags.only === undefined || flags.only === part;
    if (runs('writes')) await managementWrites(sandboxes.slice(0, 2));
    if (runs('relays')) await relayThroughput(sandboxes[2]!);
    if (runs('verifier')) await verifierWithFeed(sandboxes[3]!);
    out('');
    out(`loadavg ${loadavg().map((l) => l.toFixed(2)).join(' ')} at end`);
  } finally {
    for (const sandbox of sandboxes) await sandbox.dispose();
    rmSync(join(packageRoot, 'dist/bench-no-events'), { recursive: true, force: true });
  }
}

await main();
