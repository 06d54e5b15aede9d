import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

import pg from 'pg';

import { ACCOUNT_CLIENT_ID } from '../src/domain/account/account-client.js';
import { totpCodeAt } from '../src/domain/factors/totp.js';
import { loadConfig } from '../src/config/load-config.js';
import { startGatehouse } from '../src/gatehouse.js';
import { createLogger } from '../src/logger.js';
import { FormBrowser, type Page } from '../test/helpers/form-login.js';
import { SoftwareAuthenticator } from '../test/helpers/software-authenticator.js';
import { createBenchSandbox, type BenchSandbox } from './bench-sandbox.js';
import { freePort, spawnChildServer, type ChildServer } from './child-server.js';
import { parseLoadFlags } from './load-flags.js';
import { createPositiveFlag } from './positive-flag.js';
import { processCpuMicros, threadPoolCpuMicros } from './process-cpu.js';

/**
 * Sign-in throughput by method, in one run so the ratios compare like with like: password only,
 * password plus an authenticator-app code (TOTP), and a passkey alone (username-less, with user
 * verification); and the argon2id verify ceiling (bench/argon2-ceiling.ts: argon2.verify alone,
 * same parameters, same concurrency, in a Node process of its own), which a password sign-in is
 * reported against. Each sign-in is the whole browser flow over HTTP from a fresh cookie jar —
 * /auth, the login page, the form posts or passkey calls, up to the redirect that carries the
 * authorization code — with Gatehouse's first-party account client (no consent page). Gatehouse
 * runs as its own process; users, apps and passkeys are set up in this process first. Scenarios
 * alternate within each round, so a change in the machine's load hits all three alike.
 */

const usage = `usage: node dist/bench/sign-in.js [options]
  --duration S       seconds per scenario and round (default 5)
  --rounds N         rounds (default 3); each runs every scenario once
  --connections N    concurrent sign-ins (default 10)
  --warmup S         seconds of unmeasured sign-ins per scenario first (default 1; 0 for none)
  --totp-users N     people with an authenticator app (default 1000): a code works once, so each
                     signs in at most once per 30 s time step (three in the first)
  --embedded         run Gatehouse on embedded PGlite + in-process store instead of Postgres + Redis
  --database-url U   existing database used to create the bench's own (default $DATABASE_URL or postgres://postgres@127.0.0.1:5432/test)
  --redis-url U      (default $REDIS_URL or redis://127.0.0.1:6379)
  --only SCENARIO    password, totp, passkey or argon2 (the verify ceiling alone)
  --cpu-prof DIR     start Gatehouse with node --cpu-prof, writing DIR/gatehouse.cpuprofile (for
                     bench/cpu-profile-summary.ts; profiling slows the server: do not quote those figures)
  --help`;

const SCENARIOS = ['argon2', 'password', 'totp', 'passkey'] as const;
type ScenarioName = typeof SCENARIOS[number];

const { flags, duration, rounds, connections, warmup, servers } = parseLoadFlags('sign-in', usage, {
  warmupDefault: '1',
  scenarios: SCENARIOS,
  maxDuration: { seconds: 60, why: 'the bench shares the machine; keep runs short' },
  extra: { 'totp-users': '1000' },
});
const totpUsers = createPositiveFlag('sign-in', usage)('totp-users', String(flags['totp-users']), true);
const packageRoot = fileURLToPath(new URL('../../', import.meta.url));
const PASSWORD = 'bench-passphrase-2026';
const STEP_MS = 30_000;

interface TotpPerson { username: string; secret: string; lastStep: number; busy: boolean }
interface PasskeyPerson { username: string; key: SoftwareAuthenticator }

/**
 * The next unused app code of someone not signing in right now: a step later than their last,
 * within the one step of drift Gatehouse accepts (the previous step only early in the current
 * one, so it is still good when the post arrives).
 */
function takeTotpCode(people: TotpPerson[]): { person: TotpPerson; code: string } {
  const now = Date.now();
  const step = Math.floor(now / STEP_MS);
  const earliest = now % STEP_MS < 20_000 ? step - 1 : step;
  for (const person of people) {
    if (person.busy) continue;
    const next = Math.max(person.lastStep + 1, earliest);
    if (next > step + 1) continue;
    person.busy = true;
    person.lastStep = next;
    return { person, code: totpCodeAt(person.secret, new Date(next * STEP_MS + 1)) };
  }
  throw new Error(`every app code of the ${people.length} people is used up for now: raise --totp-users`);
}

interface Setup { password: string[]; totp: TotpPerson[]; passkey: PasskeyPerson[] }

/** Creates the people in this process, on the sandbox the server then opens (same keys, so the same factor secret). */
async function setUp(env: Record<string, string>, issuer: string): Promise<Setup> {
  const config = loadConfig({ ...env, PORT: '0' });
  const gatehouse = await startGatehouse(config, createLogger('warn'));
  try {
    const { users, secondFactors } = gatehouse.services;
    const db = gatehouse.storage.db;
    const origin = { actor: 'bench' };
    // One argon2id hash, shared: hashing for every person would make the set-up most of the run.
    await users.create(origin, { username: 'bench-pw-0', password: PASSWORD }, { mayGrantAdmin: true });
    const { password_hash: passwordHash } = await db('users').first('password_hash').where({ username: 'bench-pw-0' });
    const create = async (username: string) => {
      const { id } = await users.create(origin, { username }, { mayGrantAdmin: true });
      await db('users').where({ id }).update({ password_hash: passwordHash });
      return id;
    };
    const setup: Setup = { password: ['bench-pw-0'], totp: [], passkey: [] };
    for (let i = 0; i < connections; i++) {
      if (i > 0) {
        setup.password.push(`bench-pw-${i}`);
        await create(`bench-pw-${i}`);
      }
      const username = `bench-pk-${i}`;
      const id = await create(username);
      const url = new URL(issuer);
      const key = new SoftwareAuthenticator({ id: url.hostname, origin: url.origin });
      const options = await secondFactors.passkeyRegistrationOptions(`bench:${id}`, { id, username });
      if (!(await secondFactors.registerPasskey(origin, id, `bench:${id}`, key.register(options) as never))) throw new Error('passkey registration failed');
      setup.passkey.push({ username, key });
    }
    const batch = 8;
    for (let i = 0; i < totpUsers; i += batch) {
      await Promise.all(Array.from({ length: Math.min(batch, totpUsers - i) }, async (_, j) => {
        const username = `bench-totp-${i + j}`;
        const id = await create(username);
        const { secret } = await secondFactors.beginTotp(id, username);
        if (!(await secondFactors.confirmTotp(origin, id, totpCodeAt(secret, new Date())))) throw new Error('TOTP enrolment failed');
        setup.totp.push({ username, secret, lastStep: 0, busy: false });
      }));
    }
    // The enrolment used the current step; from the bench's point of view no code is spent yet.
    await gatehouse.storage.db('user_factors').where({ kind: 'totp' }).update({ totp_last_step: 0 });
    return setup;
  } finally {
    await gatehouse.close();
  }
}

function authorizationUrl(issuer: string): string {
  const url = new URL(`${issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: ACCOUNT_CLIENT_ID, response_type: 'code', redirect_uri: `${issuer}/account/callback`, scope: 'openid',
    code_challenge: createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url'), code_challenge_method: 'S256',
  }).toString();
  return url.href;
}

/** One whole sign-in from a fresh browser; throws unless it ends at the callback with a code. */
async function signIn(issuer: string, scenario: ScenarioName, setup: Setup, worker: number): Promise<void> {
  const callback = `${issuer}/account/callback`;
  const browser = new FormBrowser(callback);
  let page: Page = await browser.go(authorizationUrl(issuer));
  if (scenario === 'password') {
    page = await browser.submit(page, '/login', { login: setup.password[worker]!, password: PASSWORD });
  } else if (scenario === 'totp') {
    const { person, code } = takeTotpCode(setup.totp);
    try {
      const challenge = await browser.submit(page, '/login', { login: person.username, password: PASSWORD });
      page = await browser.submit(challenge, '/mfa', { code });
    } finally {
      person.busy = false;
    }
  } else {
    const { key } = setup.passkey[worker]!;
    const uid = /\/interaction\/([^/"]+)\//.exec(page.html)?.[1];
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.html)?.[1];
    const post = async (path: string, body: unknown) => {
      const url = `${issuer}/interaction/${uid}${path}`;
      const response = await fetch(url, {
        method: 'POST', headers: { cookie: browser.jar.header(url), 'content-type': 'application/json', accept: 'application/json', origin: issuer }, body: JSON.stringify(body),
      });
      if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`);
      return response.json() as Promise<Record<string, any>>;
    };
    const options = await post('/passkey/options', { csrf, purpose: 'signin' });
    const { redirect } = await post('/passkey/verify', { csrf, response: key.assert(options as { challenge: string }) });
    page = await browser.go(new URL(redirect as string, issuer).href);
  }
  if (!page.url.startsWith(callback) || !new URL(page.url).searchParams.get('code')) throw new Error(`${scenario}: no code at the callback: ${page.status} ${page.url}\n${page.html.slice(0, 500)}`);
}

interface Run {
  perSecond: number; p50: number; cpuPerSignIn: number | undefined;
  /** Of cpuPerSignIn, the libuv thread pool's (argon2id runs there). */
  poolCpuPerSignIn?: number;
  /** The Postgres backends serving the bench's database (servers mode): CPU Gatehouse's queries cost on the same cores. */
  postgresCpuPerSignIn?: number;
  /** This process, the load generator (its HTTP client work grows with every request of a sign-in). */
  clientCpuPerSignIn?: number;
  failures: number; firstError?: string;
}

/**
 * CPU so far of each Postgres backend connected to `database` (its pid from pg_stat_activity,
 * its time from /proc), in microseconds. Backends serving only Gatehouse's pool: the share of
 * Postgres a sign-in costs, which Gatehouse's own CPU leaves out. Redis is one server shared
 * with whatever else runs, so it is not attributed.
 */
async function backendCpu(admin: pg.Client | undefined, database: string | undefined): Promise<Map<number, number> | undefined> {
  if (!admin || !database) return undefined;
  const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
  return new Map(rows.flatMap(({ pid }) => {
    const micros = processCpuMicros(pid);
    return micros === undefined ? [] : [[pid, micros] as [number, number]];
  }));
}

/** CPU the backends used between two readings; one that connected in between counts from its start. */
function backendCpuBetween(before: Map<number, number> | undefined, after: Map<number, number> | undefined): number | undefined {
  if (!before || !after) return undefined;
  let total = 0;
  for (const [pid, micros] of after) total += micros - (before.get(pid) ?? 0);
  return total;
}

let postgres: { admin: pg.Client; database: string } | undefined;

/**
 * argon2id alone: a child process verifying with Gatehouse's parameters at the same concurrency
 * for the same time (its start-up is outside its clock). Gatehouse idles meanwhile.
 */
async function argon2Ceiling(seconds: number, env: Record<string, string>): Promise<Run> {
  const config = loadConfig({ ...env, PORT: '0' });
  const args = [`${packageRoot}dist/bench/argon2-ceiling.js`, '--seconds', String(seconds), '--connections', String(connections),
    '--memory-kib', String(config.passwordHashMemoryKib), '--time-cost', String(config.passwordHashTimeCost)];
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, args, { env: { PATH: process.env.PATH ?? '' } }, (error, out) => (error ? reject(error) : resolve(out)));
  });
  const { verifies, seconds: elapsed, cpuMs } = JSON.parse(stdout) as { verifies: number; seconds: number; cpuMs: number };
  return { perSecond: verifies / elapsed, p50: NaN, cpuPerSignIn: verifies ? cpuMs / verifies : undefined, failures: 0 };
}

async function load(server: ChildServer, scenario: ScenarioName, setup: Setup, seconds: number, env: Record<string, string>): Promise<Run> {
  if (scenario === 'argon2') return argon2Ceiling(seconds, env);
  const cpuBefore = processCpuMicros(server.process.pid!);
  const poolBefore = threadPoolCpuMicros(server.process.pid!);
  const backendsBefore = await backendCpu(postgres?.admin, postgres?.database);
  const clientBefore = process.cpuUsage();
  const latencies: number[] = [];
  let failures = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(Array.from({ length: connections }, async (_, worker) => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        await signIn(server.url, scenario, setup, worker);
        latencies.push(performance.now() - t0);
      } catch (error) {
        failures++;
        firstError ??= (error as Error).message;
        if (/raise --totp-users/.test(firstError)) throw error;
      }
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  const cpuAfter = processCpuMicros(server.process.pid!);
  const poolAfter = threadPoolCpuMicros(server.process.pid!);
  const client = process.cpuUsage(clientBefore);
  const backends = backendCpuBetween(backendsBefore, await backendCpu(postgres?.admin, postgres?.database));
  const perSignIn = (micros: number | undefined) => (micros !== undefined && latencies.length ? micros / latencies.length / 1000 : undefined);
  return {
    postgresCpuPerSignIn: perSignIn(backends),
    clientCpuPerSignIn: perSignIn(client.user + client.system),
    poolCpuPerSignIn: poolBefore !== undefined && poolAfter !== undefined && latencies.length ? (poolAfter - poolBefore) / latencies.length / 1000 : undefined,
    perSecond: latencies.length / elapsed,
    p50: median(latencies),
    cpuPerSignIn: cpuBefore !== undefined && cpuAfter !== undefined && latencies.length ? (cpuAfter - cpuBefore) / latencies.length / 1000 : undefined,
    failures,
    firstError,
  };
}

const median = (values: number[]) => {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const fmt = (n: number, digits = 0) => n.toFixed(digits);

async function main(): Promise<number> {
  let sandbox: BenchSandbox | undefined;
  let server: ChildServer | undefined;
  const machine = cpus();
  process.stdout.write([
    'Gatehouse sign-in bench',
    `  machine:     ${machine.length} x ${machine[0]?.model ?? 'unknown cpu'}, ${fmt(totalmem() / 2 ** 30, 1)} GiB, node ${process.version}`,
    `  loadavg:     ${loadavg().map((l) => fmt(l, 2)).join(' ')} (1/5/15 min) at start`,
    `  load:        ${connections} concurrent sign-ins, ${rounds} rounds x ${duration} s per scenario, ${warmup} s warm-up; rate limits off`,
    '',
  ].join('\n'));
  try {
    sandbox = await createBenchSandbox(servers);
    if (servers && sandbox.env.DATABASE_URL) {
      const admin = new pg.Client({ connectionString: servers.adminDatabaseUrl });
      await admin.connect();
      postgres = { admin, database: new URL(sandbox.env.DATABASE_URL).pathname.slice(1) };
    }
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    // Rate limits off: every sign-in comes from one address, and the login limit (120/min per IP) would be what is measured.
    const env = { ...sandbox.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', HOST: '127.0.0.1', ISSUER: issuer, GATEHOUSE_RATE_LIMITS: 'false' };
    const setupStarted = Date.now();
    const setup = await setUp(env, issuer);
    process.stdout.write(`  people:      ${connections} password-only, ${totpUsers} with an app, ${connections} with a passkey; set up in ${fmt((Date.now() - setupStarted) / 1000, 1)} s\n`);
    server = await spawnChildServer({
      name: 'gatehouse', script: `${packageRoot}dist/src/main.js`,
      nodeArgs: flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${flags['cpu-prof']}`, '--cpu-prof-name=gatehouse.cpuprofile'] : [],
      env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port) }, port, readyPath: '/readyz', timeoutMs: 120_000,
    });
    process.stdout.write(`  gatehouse:   node dist/src/main.js on ${sandbox.describe}\n`);
    if (flags['cpu-prof']) process.stdout.write(`  profiling:   --cpu-prof into ${flags['cpu-prof']} (figures below are slowed by the profiler)\n`);
    process.stdout.write('\n');

    const scenarios = SCENARIOS.filter((s) => flags.only === undefined || flags.only === s);
    for (const scenario of scenarios) if (scenario !== 'argon2') await signIn(server.url, scenario, setup, 0);
    const results: Record<string, Run[]> = {};
    let failures = 0;
    if (warmup > 0) {
      for (const scenario of scenarios.filter((s) => s !== 'argon2')) {
        const run = await load(server, scenario, setup, warmup, env);
        process.stdout.write(`  warm-up  ${scenario.padEnd(9)} ${fmt(run.perSecond, 1).padStart(6)} sign-ins/s (not counted)\n`);
      }
    }
    for (let round = 1; round <= rounds; round++) {
      for (const scenario of scenarios) {
        const run = await load(server, scenario, setup, duration, env);
        (results[scenario] ??= []).push(run);
        failures += run.failures;
        const problems = run.failures ? `  <-- !!! ${run.failures} failed: ${run.firstError}` : '';
        const unit = scenario === 'argon2' ? 'verifies/s' : 'sign-ins/s';
        const per = scenario === 'argon2' ? 'verify' : 'sign-in';
        process.stdout.write(`  round ${round}  ${scenario.padEnd(9)} ${fmt(run.perSecond, 1).padStart(6)} ${unit}  p50 ${fmt(run.p50).padStart(5)} ms  cpu ${run.cpuPerSignIn === undefined ? 'n/a' : fmt(run.cpuPerSignIn, 1)} ms/${per}${run.poolCpuPerSignIn === undefined ? '' : ` (thread pool ${fmt(run.poolCpuPerSignIn, 1)})`}${run.postgresCpuPerSignIn === undefined ? '' : `; postgres ${fmt(run.postgresCpuPerSignIn, 1)}`}${run.clientCpuPerSignIn === undefined || scenario === 'argon2' ? '' : `; load generator ${fmt(run.clientCpuPerSignIn, 1)}`}${problems}\n`);
      }
    }

    const lines = ['', `results (median of ${rounds} rounds; CPU is the Gatehouse process's only, not Postgres/Redis; argon2: the ceiling process's)`];
    const perSecond = (s: string) => median(results[s]!.map((r) => r.perSecond));
    for (const scenario of scenarios) {
      const runs = results[scenario]!;
      const cpu = runs.every((r) => r.cpuPerSignIn !== undefined) ? `${fmt(median(runs.map((r) => r.cpuPerSignIn!)), 1)} ms` : 'n/a';
      const [unit, per] = scenario === 'argon2' ? ['verifies/s', 'verify'] : ['sign-ins/s', 'sign-in'];
      lines.push(`  ${scenario.padEnd(9)} ${fmt(perSecond(scenario), 1).padStart(6)} ${unit}  p50 ${fmt(median(runs.map((r) => r.p50))).padStart(5)} ms  cpu ${cpu}/${per}`);
    }
    if (results.password && results.argon2) {
      const perRound = results.password.map((r, i) => r.perSecond / results.argon2![i]!.perSecond);
      lines.push(`  password / argon2id verify ceiling: ${fmt(perSecond('password') / perSecond('argon2'), 2)}x (target >= 0.80); per round ${perRound.map((x) => fmt(x, 2)).join(', ')}`);
      // The same share by CPU (argon2id alone per verify / Gatehouse per sign-in): steadier than throughput on a shared machine.
      const cpu = (runs: Run[]) => median(runs.map((r) => r.cpuPerSignIn ?? NaN));
      const pool = median(results.password.map((r) => r.poolCpuPerSignIn ?? NaN));
      lines.push(`    by CPU: argon2id verify ${fmt(cpu(results.argon2), 1)} ms / Gatehouse per password sign-in ${fmt(cpu(results.password), 1)} ms = ${fmt(cpu(results.argon2) / cpu(results.password), 2)}`
        + ` (of which the thread pool, where argon2id runs, ${fmt(pool, 1)} ms; the rest ${fmt(cpu(results.password) - pool, 1)} ms)`);
      const pgCpu = median(results.password.map((r) => r.postgresCpuPerSignIn ?? NaN));
      const clientCpu = median(results.password.map((r) => r.clientCpuPerSignIn ?? NaN));
      if (!Number.isNaN(pgCpu)) {
        // What else a sign-in costs the shared cores: its queries' backends, and the load generator's HTTP client.
        lines.push(`    with Postgres: argon2id verify ${fmt(cpu(results.argon2), 1)} ms / (Gatehouse ${fmt(cpu(results.password), 1)} + its Postgres backends ${fmt(pgCpu, 1)} ms) = ${fmt(cpu(results.argon2) / (cpu(results.password) + pgCpu), 2)}`
          + `; the load generator ${fmt(clientCpu, 1)} ms per sign-in besides`);
      }
    }
    if (results.password) {
      for (const other of ['totp', 'passkey'].filter((s) => results[s])) {
        // Per round as well: rounds run back to back, so a round's ratio is the fairest pair.
        const perRound = results[other]!.map((r, i) => r.perSecond / results.password![i]!.perSecond);
        const target = other === 'totp' ? ' (target >= 0.90)' : '';
        lines.push(`  ${other} / password: ${fmt(perSecond(other) / perSecond('password'), 2)}x throughput${target}; per round ${perRound.map((x) => fmt(x, 2)).join(', ')}`);
        const cpu = (runs: Run[]) => median(runs.map((r) => r.cpuPerSignIn ?? NaN));
        lines.push(`    by Gatehouse CPU per sign-in: ${fmt(cpu(results.password!) / cpu(results[other]!), 2)}x (${fmt(cpu(results[other]!), 1)} ms vs ${fmt(cpu(results.password!), 1)} ms)`);
      }
    }
    lines.push('', `sign-ins per scenario: ${scenarios.filter((s) => s !== 'argon2').map((s) => `${s} ${results[s]!.reduce((n, r) => n + Math.round(r.perSecond * duration), 0)}`).join(', ')} (measured rounds)`);
    if (failures) lines.push('', `!!! ${failures} FAILED SIGN-INS: the figures above are not valid`);
    process.stdout.write(`${lines.join('\n')}\n`);
    return failures ? 1 : 0;
  } finally {
    await server?.stop();
    await postgres?.admin.end();
    await sandbox?.dispose();
  }
}

process.exitCode = await main();
