import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

import pg from 'pg';

import { packageRoot } from '../src/config/paths.js';
import { backend, basic, CMS, fixtureImport, portal } from '../test/helpers/harness.js';
import { startTcpProxy, type TcpProxy } from '../test/helpers/tcp-proxy.js';
import { userTokens } from '../test/helpers/user-tokens.js';
import { createBenchSandbox } from './bench-sandbox.js';
import { freePort, spawnChildServer, type ChildServer } from './child-server.js';

/**
 * Faults under load (issue 12, item 7): two Gatehouse nodes on PostgreSQL + Redis under steady
 * load (client_credentials, JWT introspection, refresh-token chains) while Redis restarts,
 * PostgreSQL restarts and one node is killed with SIGKILL and started again.
 *
 * Redis is this run's own `redis-server` on a spare loopback port, really stopped and started.
 * PostgreSQL is shared with others on a development machine, so by default its restart is
 * reproduced for this run's database only, through a TCP proxy in front of it: every backend
 * of the database is terminated (57P01, what a fast shutdown sends), new connections are
 * refused for half the outage, then answered "the database system is starting up" (57P03) for
 * the other half. `--postgres-restart` runs a real restart command instead (for a machine whose
 * PostgreSQL is yours alone).
 */
export interface FaultRunOptions {
  /** Seconds of load; the three faults fall at 25 %, 50 % and 75 %. */
  durationSeconds: number;
  /** Seconds each backend stays down. */
  outageSeconds: number;
  /** Refresh-token chains rotated throughout (each obtained before the run). */
  chains: number;
  /** Concurrent client_credentials and introspection loops. */
  concurrency: number;
  adminDatabaseUrl: string;
  /** A shell command that restarts PostgreSQL for real; unset: the proxy reproduction. */
  postgresRestartCommand?: string;
  /** Progress lines (stderr by default). */
  progress?: (line: string) => void;
}

export interface FaultRunReport {
  durationSeconds: number;
  /** Answers by status (including 503), and requests that got no answer (a node died). */
  answered: Record<string, number>;
  noAnswer: number;
  /** Any 5xx that is not 503 with Retry-After. Must be 0. */
  unexpected5xx: number;
  unexpectedSamples: string[];
  /** Chains whose refresh token obtained before the run still works after it. Must be all. */
  chainsAlive: number;
  chains: number;
  chainsLost: string[];
  /** Revoked tokens (and a revoked grant's) ever answered active. Must be 0. */
  revokedActiveAgain: number;
  /** Seconds from a backend's return to both nodes serving again, per fault. Must be <= 10. */
  recoverySeconds: Record<string, number>;
  /** Seconds from starting the killed node again to it serving. */
  nodeRestartSeconds: number;
  /** Resident memory of the node that ran throughout: first and last quarter, MB, and the drift. */
  rss: { firstMb: number; lastMb: number; drift: number };
  /**
   * What makes up that memory (from the node's /metrics), first and last quarter, MB: V8 heap in
   * use and reserved, and memory outside the heap (Buffers). Tells a growing heap from a leak.
   */
  memory: Record<'heapUsed' | 'heapTotal' | 'external', { firstMb: number; lastMb: number }>;
  postgresFault: 'proxy' | 'command';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const METRICS_TOKEN = 'fault-run-metrics-token-0123456789';

interface Answer { status: number; body: Record<string, unknown>; retryAfter: string | null }

/** This run's own redis-server, on a loopback port nobody else uses. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 100; i += 1) {
    const up = await new Promise<boolean>((resolve) => {
      const probe = spawn('redis-cli', ['-p', String(port), 'ping'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      probe.stdout.on('data', (c) => { out += c; });
      probe.on('exit', () => resolve(out.includes('PONG')));
    });
    if (up) return child;
    await sleep(50);
  }
  throw new Error(`redis-server did not start on ${port}`);
}

async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await gone;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

export async function runFaultRun(options: FaultRunOptions): Promise<FaultRunReport> {
  const say = options.progress ?? ((line: string) => process.stderr.write(`${line}\n`));
  const redisPort = await freePort();
  let redis = await startRedis(redisPort);
  const sandbox = await createBenchSandbox({ adminDatabaseUrl: options.adminDatabaseUrl, redisUrl: `redis://127.0.0.1:${redisPort}` });
  const db = new URL(sandbox.env.DATABASE_URL!);
  const databaseName = db.pathname.slice(1);
  let proxy: TcpProxy | undefined;
  if (!options.postgresRestartCommand) {
    proxy = await startTcpProxy(db.hostname, Number(db.port || 5432));
    db.host = `127.0.0.1:${proxy.port}`;
  }
  const ports = [await freePort(), await freePort()];
  const issuer = `http://127.0.0.1:${ports[0]}`;
  const env = (port: number, extra: Record<string, string> = {}) => ({
    PATH: process.env.PATH ?? '', ...sandbox.env, DATABASE_URL: db.href, NODE_ENV: 'test', ISSUER: issuer, PORT: String(port), HOST: '127.0.0.1',
    GATEHOUSE_COOKIE_KEYS: 'fault-run-cookie-key-0123456789abcdef', LOG_LEVEL: 'warn', GATEHOUSE_METRICS_TOKEN: METRICS_TOKEN, ...extra,
  });
  const script = join(packageRoot, 'dist/src/main.js');
  const nodes: ChildServer[] = [];
  const spawnNode = (i: number, extra?: Record<string, string>) => spawnChildServer({ name: `node-${i}`, script, env: env(ports[i]!, extra), port: ports[i]!, readyPath: '/readyz' });
  // The first node migrates and imports; the second starts on the migrated database.
  nodes[0] = await spawnNode(0, { GATEHOUSE_IMPORT: fixtureImport });
  nodes[1] = await spawnNode(1);
  const urls = nodes.map((n) => n.url);

  const answered: Record<string, number> = {};
  let noAnswer = 0;
  let unexpected5xx = 0;
  const unexpectedSamples: string[] = [];
  let turn = 0;

  /** One request, to the next node in turn; on no answer (a dead node) the caller retries on the other, as a proxy would. */
  async function post(path: string, form: Record<string, string>, auth: { id: string; secret: string }): Promise<Answer | undefined> {
    const url = urls[(turn += 1) % urls.length]!;
    try {
      const response = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', authorization: basic(auth.id, auth.secret) },
        body: new URLSearchParams(form),
        signal: AbortSignal.timeout(20_000),
      });
      const text = await response.text();
      const answer = { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, retryAfter: response.headers.get('retry-after') };
      answered[answer.status] = (answered[answer.status] ?? 0) + 1;
      if (answer.status >= 500 && !(answer.status === 503 && answer.retryAfter)) {
        unexpected5xx += 1;
        if (unexpectedSamples.length < 10) unexpectedSamples.push(`${path} ${answer.status} ${text.slice(0, 200)}`);
      }
      return answer;
    } catch {
      noAnswer += 1;
      return undefined;
    }
  }

  const clientCredentials = () => post('/token', { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }, backend);
  const introspect = (token: string) => post('/token/introspection', { token }, backend);

  // Before the run: the refresh chains, and tokens that are revoked (one by its jti, one grant).
  say(`fault-run: ${options.durationSeconds} s, outages of ${options.outageSeconds} s, ${options.chains} refresh chains, concurrency ${options.concurrency}; ${sandbox.describe.replace(/Redis \S+/, `its own Redis on 127.0.0.1:${redisPort}`)}`);
  const chainTokens: string[] = [];
  for (let i = 0; i < options.chains; i += 1) chainTokens.push((await userTokens(issuer, { resource: CMS, scope: 'openid offline_access cases:read' })).refresh_token!);
  const revoked: string[] = [];
  for (let i = 0; i < 3; i += 1) {
    const token = String((await clientCredentials())!.body.access_token);
    await post('/token/revocation', { token }, backend);
    revoked.push(token);
  }
  const doomed = await userTokens(issuer, { resource: CMS, scope: 'openid offline_access cases:read' });
  await post('/token/revocation', { token: doomed.refresh_token! }, portal);
  revoked.push(doomed.access_token);

  let revokedActiveAgain = 0;
  const chainsLost: string[] = [];
  let running = true;
  const started = Date.now();
  const loops: Array<Promise<void>> = [];

  // Steady load: client_credentials and introspection of the tokens it gets.
  let latest = revoked[0]!;
  for (let i = 0; i < options.concurrency; i += 1) {
    loops.push((async () => {
      while (running) {
        const issued = await clientCredentials();
        if (issued?.status === 200) latest = String(issued.body.access_token);
        await introspect(latest);
        if (!issued || issued.status === 503) await sleep(200);
      }
    })());
  }
  // Refresh chains: each rotates its token; a lost answer or a 503 is retried with the same token.
  chainTokens.forEach((_, i) => {
    loops.push((async () => {
      while (running) {
        const answer = await post('/token', { grant_type: 'refresh_token', refresh_token: chainTokens[i]! }, portal);
        if (answer?.status === 200) chainTokens[i] = String(answer.body.refresh_token);
        else if (answer && answer.status < 500) {
          chainsLost.push(`chain ${i}: ${answer.status} ${JSON.stringify(answer.body)}`);
          return;
        }
        await sleep(answer?.status === 200 ? 250 : 500);
      }
    })());
  });
  // Revoked tokens must never come back.
  loops.push((async () => {
    while (running) {
      for (const token of revoked) if ((await introspect(token))?.body.active === true) revokedActiveAgain += 1;
      await sleep(1000);
    }
  })());
  // Memory of the node that runs throughout.
  const rssSamples: number[] = [];
  loops.push((async () => {
    while (running) {
      rssSamples.push(rssMb(nodes[0]!.process.pid!));
      await sleep(1000);
    }
  })());
  const memorySamples: Array<Record<'heapUsed' | 'heapTotal' | 'external', number>> = [];
  loops.push((async () => {
    while (running) {
      await sleep(5000);
      try {
        const text = await (await fetch(`${urls[0]}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` }, signal: AbortSignal.timeout(5000) })).text();
        const gauge = (name: string) => Number(new RegExp(`^gatehouse_${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20;
        memorySamples.push({ heapUsed: gauge('nodejs_heap_size_used_bytes'), heapTotal: gauge('nodejs_heap_size_total_bytes'), external: gauge('nodejs_external_memory_bytes') });
      } catch {
        // the node is busy or the sample timed out: skip it
      }
    }
  })());

  /** Seconds from now until both nodes are ready and issue tokens again. */
  async function recovery(): Promise<number> {
    const from = Date.now();
    for (;;) {
      const states = await Promise.all(urls.map(async (url) => {
        try {
          const ready = (await (await fetch(`${url}/readyz`)).json()) as { status: string };
          const issued = await fetch(`${url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(backend.id, backend.secret) }, body: new URLSearchParams({ grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }) });
          return ready.status === 'ready' && issued.status === 200;
        } catch {
          return false;
        }
      }));
      if (states.every(Boolean)) return (Date.now() - from) / 1000;
      if (Date.now() - from > 60_000) return Infinity;
      await sleep(100);
    }
  }
  const at = (fraction: number) => sleep(Math.max(0, started + fraction * options.durationSeconds * 1000 - Date.now()));
  const outage = options.outageSeconds * 1000;
  const recoverySeconds: Record<string, number> = {};

  await at(0.25);
  say('fault-run: Redis stops');
  await stopProcess(redis, 'SIGKILL');
  await sleep(outage);
  redis = await startRedis(redisPort);
  say('fault-run: Redis is back (empty: it keeps nothing)');
  recoverySeconds.redis = await recovery();

  await at(0.5);
  say('fault-run: PostgreSQL restarts');
  if (options.postgresRestartCommand) {
    await new Promise((resolve) => spawn('sh', ['-c', options.postgresRestartCommand!], { stdio: 'ignore' }).on('exit', resolve));
  } else {
    proxy!.cut();
    const admin = new pg.Client({ connectionString: options.adminDatabaseUrl });
    await admin.connect();
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [databaseName]);
    await admin.end();
    await sleep(outage / 2);
    proxy!.startingUp();
    await sleep(outage / 2);
    proxy!.restore();
  }
  say('fault-run: PostgreSQL is back');
  recoverySeconds.postgres = await recovery();

  await at(0.75);
  say('fault-run: node-1 killed (SIGKILL)');
  nodes[1]!.process.kill('SIGKILL');
  await sleep(outage);
  const restarting = Date.now();
  nodes[1] = await spawnNode(1);
  const nodeRestartSeconds = (Date.now() - restarting) / 1000;
  say(`fault-run: node-1 serves again after ${nodeRestartSeconds.toFixed(1)} s`);

  await at(1);
  running = false;
  await Promise.all(loops);

  // After the run: every chain's latest refresh token works, and no revoked token is active.
  let chainsAlive = 0;
  for (const [i, token] of chainTokens.entries()) {
    if (chainsLost.some((line) => line.startsWith(`chain ${i}:`))) continue;
    let answer: Answer | undefined;
    // A refresh that died with node-1 leaves its token marked in flight for up to 15 s: the 503
    // says when to retry, and a client that honours Retry-After keeps its chain.
    const giveUpAt = Date.now() + 30_000;
    for (;;) {
      answer = await post('/token', { grant_type: 'refresh_token', refresh_token: token }, portal);
      if ((answer && answer.status < 500) || Date.now() > giveUpAt) break;
      await sleep(Math.min(5, Number(answer?.retryAfter) || 1) * 1000);
    }
    if (answer?.status === 200) chainsAlive += 1;
    else chainsLost.push(`chain ${i} after the run: ${answer?.status} ${JSON.stringify(answer?.body)}`);
  }
  for (const token of revoked) if ((await introspect(token))?.body.active === true) revokedActiveAgain += 1;

  const quarter = Math.max(1, Math.floor(rssSamples.length / 4));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const firstMb = mean(rssSamples.slice(0, quarter));
  const lastMb = mean(rssSamples.slice(-quarter));

  for (const node of nodes) await node.stop();
  await sandbox.dispose();
  await stopProcess(redis);
  await proxy?.close();

  return {
    durationSeconds: (Date.now() - started) / 1000,
    answered,
    noAnswer,
    unexpected5xx,
    unexpectedSamples,
    chainsAlive,
    chains: options.chains,
    chainsLost,
    revokedActiveAgain,
    recoverySeconds,
    nodeRestartSeconds,
    rss: { firstMb: Math.round(firstMb), lastMb: Math.round(lastMb), drift: Math.round(((lastMb - firstMb) / firstMb) * 1000) / 1000 },
    memory: Object.fromEntries((['heapUsed', 'heapTotal', 'external'] as const).map((key) => {
      const values = memorySamples.map((sample) => sample[key]).filter(Number.isFinite);
      const part = Math.max(1, Math.floor(values.length / 4));
      return [key, { firstMb: Math.round(mean(values.slice(0, part))), lastMb: Math.round(mean(values.slice(-part))) }];
    })) as FaultRunReport['memory'],
    postgresFault: options.postgresRestartCommand ? 'command' : 'proxy',
  };
}

/** The verdicts the issue asks for, one line each. */
export function verdicts(report: FaultRunReport): Array<{ what: string; ok: boolean; value: string }> {
  const worstRecovery = Math.max(...Object.values(report.recoverySeconds));
  return [
    { what: '5xx other than 503 + Retry-After', ok: report.unexpected5xx === 0, value: String(report.unexpected5xx) },
    { what: 'refresh chains from before the run still working', ok: report.chainsAlive === report.chains, value: `${report.chainsAlive}/${report.chains}` },
    { what: 'revoked tokens answered active', ok: report.revokedActiveAgain === 0, value: String(report.revokedActiveAgain) },
    { what: 'seconds to recover after Redis / PostgreSQL return (<= 10)', ok: worstRecovery <= 10, value: Object.entries(report.recoverySeconds).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ') },
    { what: 'RSS drift of the node that ran throughout (< 20 %)', ok: Math.abs(report.rss.drift) < 0.2, value: `${report.rss.firstMb} → ${report.rss.lastMb} MB (${(report.rss.drift * 100).toFixed(1)} %)` },
  ];
}

const USAGE = `usage: node dist/bench/fault-run.js [--duration 300] [--outage 4] [--chains 20] [--concurrency 4]
       [--database-url postgres://postgres@127.0.0.1:5432/test] [--postgres-restart "<command>"]`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '300' },
      outage: { type: 'string', default: '4' },
      chains: { type: 'string', default: '20' },
      concurrency: { type: 'string', default: '4' },
      'database-url': { type: 'string', default: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
      'postgres-restart': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const number = (name: 'duration' | 'outage' | 'chains' | 'concurrency') => {
    const value = Number(values[name]);
    if (!Number.isFinite(value) || value <= 0) {
      process.stderr.write(`fault-run: --${name} = ${JSON.stringify(values[name])}: expected a positive number\n${USAGE}\n`);
      process.exit(2);
    }
    return value;
  };
  const report = await runFaultRun({
    durationSeconds: number('duration'), outageSeconds: number('outage'), chains: number('chains'), concurrency: number('concurrency'),
    adminDatabaseUrl: values['database-url']!, postgresRestartCommand: values['postgres-restart'],
  });
  const total = Object.values(report.answered).reduce((a, b) => a + b, 0);
  process.stdout.write(`requests answered: ${total} (${Object.entries(report.answered).map(([s, n]) => `${s}: ${n}`).join(', ')}), no answer (node killed): ${report.noAnswer}\n`);
  process.stdout.write(`PostgreSQL restart: ${report.postgresFault === 'proxy' ? 'reproduced through a TCP proxy (57P01, refused, 57P03)' : 'real, by command'}; killed node served again after ${report.nodeRestartSeconds.toFixed(1)} s\n`);
  const { heapUsed, heapTotal, external } = report.memory;
  process.stdout.write(`memory of that node, first → last quarter: V8 heap used ${heapUsed.firstMb} → ${heapUsed.lastMb} MB, heap reserved ${heapTotal.firstMb} → ${heapTotal.lastMb} MB, outside the heap ${external.firstMb} → ${external.lastMb} MB\n`);
  const lines = verdicts(report);
  for (const { what, ok, value } of lines) process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${what}: ${value}\n`);
  for (const sample of [...report.unexpectedSamples, ...report.chainsLost]) process.stdout.write(`  ${sample}\n`);
  process.exitCode = lines.every((l) => l.ok) ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    process.stderr.write(`fault-run: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
