import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import autocannon from 'autocannon';

import { createBenchSandbox, type BenchSandbox } from './bench-sandbox.js';
import { freePort, spawnChildServer, type ChildServer } from './child-server.js';
import { parseLoadFlags } from './load-flags.js';
import { createPositiveFlag } from './positive-flag.js';
import { processCpuMicros } from './process-cpu.js';

/**
 * Directory lookups services make against the management API: `POST /users:batch` with 1,000
 * ids (half known, half unknown) and the users-by-resource-role lookup used for round-robin
 * assignment (`GET /users?resource=…&role=…&lab=…&status=active`). Gatehouse runs as its own
 * process on a fresh database holding the test fixtures plus `--users` generated users (loaded
 * through an import file at start); autocannon runs in this process.
 */

const usage = `usage: node dist/bench/directory-lookups.js [options]
  --users N          generated users besides the fixtures (default 10000); every 10th is a tts agent
  --duration S       seconds per measured round (default 5, at most 240: the API token lives 300 s)
  --rounds N         rounds per scenario (default 3)
  --connections N    concurrent keep-alive connections (default 10)
  --warmup S         seconds of unmeasured load per scenario first (default 2; 0 for none)
  --embedded         run Gatehouse on embedded PGlite + in-process store instead of Postgres + Redis
  --database-url U   existing database used to create the bench's own (default $DATABASE_URL or postgres://postgres@127.0.0.1:5432/test)
  --redis-url U      (default $REDIS_URL or redis://127.0.0.1:6379)
  --only SCENARIO    batch or by-role (default both; useful with --cpu-prof)
  --cpu-prof DIR     start Gatehouse with node --cpu-prof, writing DIR/gatehouse.cpuprofile (for
                     bench/cpu-profile-summary.ts; profiling slows the server: do not quote those figures)
  --help`;

const { flags, duration, rounds, connections, warmup, servers: serverUrls } = parseLoadFlags('directory-lookups', usage, {
  warmupDefault: '2',
  scenarios: ['batch', 'by-role'],
  maxDuration: { seconds: 240, why: 'the API access token lives 300 s' },
  extra: { users: '10000' },
});
const generatedUsers = createPositiveFlag('directory-lookups', usage)('users', String(flags.users), true);

const packageRoot = fileURLToPath(new URL('../../', import.meta.url));
const opsService = { id: 'ops-service', secret: 's3cret-value-ops-service' };
const BATCH_SIZE = 1000;
const TTS = 'https://tts.example';
const AGENT_LAB = 'lab-2';

type ScenarioName = 'batch' | 'by-role';

interface Run { okPerSecond: number; p50: number; p99: number; cpuPerRequest: number | undefined; non2xx: number; errors: number; statusCodes: Record<string, number> }

const idOf = (n: number) => `bench-user-${String(n).padStart(6, '0')}`;

/** The fixtures plus generated users: alternating lab-1/lab-2 members; every 10th holds the tts agent role in its lab. */
function writeImportFile(dir: string): { file: string; expectedAgents: number } {
  const fixture = JSON.parse(readFileSync(join(packageRoot, 'test/fixtures/import.json'), 'utf8')) as { users: unknown[] };
  let expectedAgents = 1; // otto, in the fixtures
  for (let n = 1; n <= generatedUsers; n++) {
    const lab = n % 2 ? 'lab-1' : 'lab-2';
    const agent = n % 10 === 0;
    if (agent && lab === AGENT_LAB) expectedAgents++;
    fixture.users.push({
      id: idOf(n), username: `bench-${n}`, email: `bench-${n}@example.test`, given_name: 'Bench', family_name: `User ${n}`,
      memberships: [{ lab, role: 'member' }],
      roles: agent ? [{ resource: TTS, role: 'agent', lab }] : [],
    });
  }
  const file = join(dir, 'import.json');
  writeFileSync(file, JSON.stringify(fixture));
  return { file, expectedAgents };
}

async function apiToken(server: ChildServer): Promise<string> {
  const response = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${opsService.id}:${opsService.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: `${server.url}/api`, scope: 'users:read' }),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`no API token: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

interface Scenario { title: string; method: 'GET' | 'POST'; path: string; body?: string; check(body: any): string | undefined }

function scenariosFor(expectedAgents: number): Record<ScenarioName, Scenario> {
  const known = Array.from({ length: Math.min(BATCH_SIZE / 2, generatedUsers) }, (_, i) => idOf(i + 1));
  const unknown = Array.from({ length: BATCH_SIZE - known.length }, (_, i) => `no-such-user-${i}`);
  const pageSize = Math.min(200, expectedAgents);
  return {
    batch: {
      title: `POST /users:batch, ${BATCH_SIZE} ids (${known.length} known, ${unknown.length} unknown)`,
      method: 'POST', path: '/api/v1/users:batch', body: JSON.stringify({ ids: [...known, ...unknown] }),
      check: (b) => (b.users?.length === known.length && b.unknown?.length === unknown.length ? undefined : `expected ${known.length} users and ${unknown.length} unknown, got ${b.users?.length} and ${b.unknown?.length}`),
    },
    'by-role': {
      title: `GET /users by role (tts agent, ${AGENT_LAB}, active; ${expectedAgents} match, page of ${pageSize})`,
      method: 'GET', path: `/api/v1/users?${new URLSearchParams({ resource: TTS, role: 'agent', lab: AGENT_LAB, status: 'active', limit: String(pageSize) })}`,
      check: (b) => (b.total === expectedAgents && b.items?.length === pageSize ? undefined : `expected total ${expectedAgents} and ${pageSize} items, got ${b.total} and ${b.items?.length}`),
    },
  };
}

async function load(server: ChildServer, scenario: Scenario, token: string, seconds: number): Promise<Run> {
  const pid = server.process.pid!;
  const cpuBefore = processCpuMicros(pid);
  const result = await autocannon({
    url: `${server.url}${scenario.path}`,
    method: scenario.method,
    headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(scenario.body ? { 'content-type': 'application/json' } : {}) },
    body: scenario.body,
    connections,
    pipelining: 1,
    duration: seconds,
  });
  const cpuAfter = processCpuMicros(pid);
  const responses = result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx'];
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = count ?? 0;
  return {
    // Successful responses only: errors answered quickly must not look fast.
    okPerSecond: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuPerRequest: cpuBefore !== undefined && cpuAfter !== undefined && responses > 0 ? (cpuAfter - cpuBefore) / responses : undefined,
    non2xx: result.non2xx,
    errors: result.errors,
    statusCodes,
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const fmt = (n: number, digits = 0) => n.toFixed(digits);

async function main(): Promise<number> {
  const servers = serverUrls;
  const work = mkdtempSync(join(tmpdir(), 'gatehouse-directory-bench-'));
  let sandbox: BenchSandbox | undefined;
  let server: ChildServer | undefined;
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    process.stderr.write('\ninterrupted: stopping the server and removing the bench database...\n');
  });

  const machine = cpus();
  process.stdout.write([
    'Gatehouse directory lookup bench',
    `  machine:     ${machine.length} x ${machine[0]?.model ?? 'unknown cpu'}, ${fmt(totalmem() / 2 ** 30, 1)} GiB, node ${process.version}`,
    `  loadavg:     ${loadavg().map((l) => fmt(l, 2)).join(' ')} (1/5/15 min) at start`,
    `  load:        ${connections} connections, ${rounds} rounds x ${duration} s per scenario, ${warmup} s warm-up`,
    '',
  ].join('\n'));

  try {
    const { file, expectedAgents } = writeImportFile(work);
    sandbox = await createBenchSandbox(servers);
    const port = await freePort();
    const started = Date.now();
    server = await spawnChildServer({
      name: 'gatehouse',
      script: `${packageRoot}dist/src/main.js`,
      nodeArgs: flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${flags['cpu-prof']}`, '--cpu-prof-name=gatehouse.cpuprofile'] : [],
      env: { PATH: process.env.PATH ?? '', ...sandbox.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', GATEHOUSE_IMPORT: file, PORT: String(port), HOST: '127.0.0.1', ISSUER: `http://127.0.0.1:${port}` },
      port,
      readyPath: '/readyz',
      timeoutMs: 600_000,
    });
    process.stdout.write(`  gatehouse:   node dist/src/main.js on ${sandbox.describe}\n`);
    process.stdout.write(`  data:        ${generatedUsers} generated users + fixtures, imported in ${fmt((Date.now() - started) / 1000, 1)} s\n\n`);

    const scenarios = Object.fromEntries(Object.entries(scenariosFor(expectedAgents)).filter(([name]) => flags.only === undefined || flags.only === name)) as Partial<Record<ScenarioName, Scenario>>;
    const token = await apiToken(server);
    if (flags['cpu-prof']) process.stdout.write(`  profiling:   --cpu-prof into ${flags['cpu-prof']} (figures below are slowed by the profiler)\n`);
    for (const [name, scenario] of Object.entries(scenarios)) {
      const response = await fetch(`${server.url}${scenario.path}`, { method: scenario.method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: scenario.body });
      const problem = response.status === 200 ? scenario.check(await response.json()) : `answered ${response.status}`;
      if (problem) throw new Error(`${name}: ${problem}`);
      process.stdout.write(`  check ${name}: ${scenario.title} -> ok\n`);
    }
    process.stdout.write('\n');

    const results: Record<string, Run[]> = {};
    let failures = 0;
    for (const [name, scenario] of Object.entries(scenarios)) {
      if (warmup > 0) {
        if (interrupted) return 130;
        const run = await load(server, scenario, await apiToken(server), warmup);
        process.stdout.write(`  warm-up  ${name.padEnd(8)} ${fmt(run.okPerSecond).padStart(6)} ok/s (not counted)\n`);
      }
      results[name] = [];
      for (let round = 1; round <= rounds; round++) {
        if (interrupted) return 130;
        // A fresh token per round: none expires mid-round.
        const run = await load(server, scenario, await apiToken(server), duration);
        results[name]!.push(run);
        failures += run.non2xx + run.errors;
        const problems = run.non2xx || run.errors ? `  <-- !!! ${run.non2xx} non-2xx ${JSON.stringify(run.statusCodes)}, ${run.errors} errors` : '';
        process.stdout.write(`  round ${round}  ${name.padEnd(8)} ${fmt(run.okPerSecond).padStart(6)} ok/s  p50 ${fmt(run.p50, 1).padStart(6)} ms  p99 ${fmt(run.p99, 1).padStart(6)} ms  cpu ${run.cpuPerRequest === undefined ? 'n/a' : fmt(run.cpuPerRequest)} µs/req${problems}\n`);
      }
    }

    const lines = ['', `results (median of ${rounds} rounds; Gatehouse process CPU only, not Postgres/Redis)`];
    for (const [name, runs] of Object.entries(results)) {
      const cpu = runs.every((r) => r.cpuPerRequest !== undefined) ? `${fmt(median(runs.map((r) => r.cpuPerRequest!)))} µs/req` : 'n/a';
      lines.push(`  ${scenarios[name as ScenarioName]!.title}`);
      lines.push(`    ${fmt(median(runs.map((r) => r.okPerSecond)))} req/s, p50 ${fmt(median(runs.map((r) => r.p50)), 1)} ms, p99 ${fmt(median(runs.map((r) => r.p99)), 1)} ms, cpu ${cpu}`);
    }
    if (failures) lines.push('', `!!! ${failures} NON-2XX RESPONSES OR CONNECTION ERRORS: the figures above are not valid`);
    process.stdout.write(`${lines.join('\n')}\n`);
    return failures ? 1 : 0;
  } finally {
    await server?.stop();
    await sandbox?.dispose();
    rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = await main();
