import { cpus, loadavg, totalmem } from 'node:os';
import { createRequire } from 'node:module';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import autocannon from 'autocannon';

import { bareClient } from './bare-client.js';
import { createBenchSandbox, type BenchSandbox } from './bench-sandbox.js';
import { freePort, spawnChildServer, type ChildServer } from './child-server.js';
import { peakRssPerProcessMb, processTreeCpuMicros } from './process-cpu.js';
import { parseLoadFlags } from './load-flags.js';
import { createPositiveFlag } from './positive-flag.js';

/**
 * `npm run bench`: Gatehouse's token endpoint and introspection against a bare oidc-provider,
 * measured in the same run, in alternating rounds, so both see the same machine state.
 * Each server is its own process; autocannon runs in this one. See docs/PERFORMANCE.md.
 */

const usage = `usage: node dist/bench/token-issuance.js [options]
  --duration S       seconds per measured round (default 5)
  --rounds N         rounds per server and scenario (default 3)
  --connections N    concurrent keep-alive connections (default 10)
  --warmup S         seconds of unmeasured load per server and scenario first (default 3)
  --only SCENARIO    issuance or introspection (default both; useful with --cpu-prof)
  --embedded         run Gatehouse on embedded PGlite + in-process store instead of Postgres + Redis
  --database-url U   existing database used to create the bench's own (default $DATABASE_URL or postgres://postgres@127.0.0.1:5432/test)
  --redis-url U      (default $REDIS_URL or redis://127.0.0.1:6379)
  --gatehouse FILE   the Gatehouse entry point to run (default dist/src/main.js), e.g. a candidate build
  --workers LIST     worker counts to compare, comma-separated (default 1; e.g. 1,2): each count starts bare
                     (node:cluster) and Gatehouse (GATEHOUSE_WORKERS) with that many workers; above 1 only
                     issuance is measured (bare's workers do not share opaque tokens) and a scaling table
                     follows; needs the servers (not --embedded)
  --rate-limits on|off  Gatehouse's rate limits (default on, its default; off measures their cost)
  --cpu-prof DIR     start both servers with node --cpu-prof, writing gatehouse.cpuprofile and
                     bare-provider.cpuprofile to DIR (profiling slows both: do not quote those figures)
  --help`;

// Tokens are fetched fresh per round; a round longer than Gatehouse's 300 s JWT lifetime would
// end up introspecting an expired token (a fast, meaningless `active: false`).
const { flags, duration, rounds, connections, warmup, servers: serverUrls } = parseLoadFlags('token-issuance', usage, {
  warmupDefault: '3',
  scenarios: ['issuance', 'introspection'],
  maxDuration: { seconds: 240, why: 'the introspected tokens live 300 s' },
  extra: { gatehouse: undefined, workers: '1', 'rate-limits': 'on' },
});

if (flags['rate-limits'] !== 'on' && flags['rate-limits'] !== 'off') {
  process.stderr.write(`token-issuance: --rate-limits = ${JSON.stringify(flags['rate-limits'])}: expected on or off\n${usage}\n`);
  process.exit(2);
}
const workerCounts = String(flags.workers).split(',').map((text) => createPositiveFlag('token-issuance', usage)('workers', text.trim(), true));
if (workerCounts.some((n) => n > 1) && flags.embedded) {
  process.stderr.write('token-issuance: --workers above 1 needs Postgres and Redis: Gatehouse refuses several workers on the embedded database\n');
  process.exit(2);
}

const packageRoot = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(import.meta.url);
const versionOf = (name: string) => (require(`${name}/package.json`) as { version: string }).version;

const gatehouseEntry = resolve((flags.gatehouse as string | undefined) ?? `${packageRoot}dist/src/main.js`);

const RESOURCE = 'https://cms.example';
/** Issue 12, item 4: Gatehouse at or above the bare engine on both hot paths. */
const TARGET_RATIO = 1.0;
/** Issue 12, item 4: peak resident set of each process under the bench load. */
const RSS_BUDGET_MB = 200;
const gatehouseClients = {
  issuer: { id: 'cms-backend', secret: 's3cret-value-backend' },
  introspector: { id: 'portal', secret: 's3cret-value-portal' },
};

type ServerName = 'bare' | 'gatehouse';
type ScenarioName = 'issuance' | 'introspection';

interface RequestSpec {
  path: string;
  headers: Record<string, string>;
  body: string;
}

interface Target {
  name: ServerName;
  server: ChildServer;
  issue: RequestSpec;
  /** A fresh token for the introspection scenario to present (fetched per round, so none expires mid-run). */
  introspectionToken(): Promise<string>;
  introspect(token: string): RequestSpec;
}

interface Run {
  okPerSecond: number;
  /** Server process CPU (all threads) per response, in µs; undefined without /proc. */
  cpuPerRequest: number | undefined;
  responses: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const formHeaders = (auth: string) => ({ authorization: auth, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' });

function makeTarget(name: ServerName, server: ChildServer, issuer: { id: string; secret: string }, introspector: { id: string; secret: string }, opaqueForIntrospection: boolean): Target {
  const issue: RequestSpec = {
    path: '/token',
    headers: formHeaders(basic(issuer.id, issuer.secret)),
    body: form({ grant_type: 'client_credentials', resource: RESOURCE, scope: 'cases:read' }),
  };
  return {
    name,
    server,
    issue,
    async introspectionToken() {
      // The bare baseline introspects an opaque token (no resource: oidc-provider cannot
      // introspect its own JWTs); Gatehouse introspects the JWT it issues.
      const spec = opaqueForIntrospection ? { ...issue, body: form({ grant_type: 'client_credentials' }) } : issue;
      const { status, body } = await send(server, spec);
      if (status !== 200 || typeof body.access_token !== 'string') throw new Error(`${name}: token request for introspection failed: ${status} ${JSON.stringify(body)}`);
      return body.access_token;
    },
    introspect(token) {
      return {
        path: '/token/introspection',
        headers: formHeaders(basic(introspector.id, introspector.secret)),
        body: form({ token, token_type_hint: 'access_token' }),
      };
    },
  };
}

async function send(server: ChildServer, spec: RequestSpec): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.url}${spec.path}`, { method: 'POST', headers: spec.headers, body: spec.body });
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { raw: text };
  }
  return { status: response.status, body };
}

const decodeSegment = (token: string, index: number) => JSON.parse(Buffer.from(token.split('.')[index] ?? '', 'base64url').toString()) as Record<string, unknown>;

/**
 * Before any load: both servers must do the work the comparison assumes (an RS256 at+jwt from a
 * 2048-bit key, an introspection that says active). A mis-configured side would be "fast" for
 * the wrong reason.
 */
async function verifyEquivalence(target: Target, withIntrospection: boolean): Promise<string> {
  const discovery = (await (await fetch(`${target.server.url}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
  const jwks = (await (await fetch(discovery.jwks_uri.replace(/^https?:\/\/[^/]+/, target.server.url))).json()) as { keys: Array<{ n?: string }> };
  const bits = Buffer.from(jwks.keys[0]?.n ?? '', 'base64url').length * 8;
  if (bits !== 2048) throw new Error(`${target.name}: signing key is ${bits} bits, expected 2048`);

  const issued = await send(target.server, target.issue);
  if (issued.status !== 200) throw new Error(`${target.name}: issuance answered ${issued.status} ${JSON.stringify(issued.body)}`);
  const jwt = String(issued.body.access_token);
  const header = decodeSegment(jwt, 0);
  const payload = decodeSegment(jwt, 1);
  if (header.alg !== 'RS256' || header.typ !== 'at+jwt' || payload.aud !== RESOURCE || payload.scope !== 'cases:read') {
    throw new Error(`${target.name}: issued token is not an RS256 at+jwt for ${RESOURCE} with scope cases:read: ${JSON.stringify({ header, payload })}`);
  }

  if (!withIntrospection) return `${target.name}: RS256 at+jwt, ${bits}-bit key, ${jwt.length}-byte token`;
  const token = await target.introspectionToken();
  const introspected = await send(target.server, target.introspect(token));
  if (introspected.status !== 200 || introspected.body.active !== true) {
    throw new Error(`${target.name}: introspection did not answer active: ${introspected.status} ${JSON.stringify(introspected.body)}`);
  }
  const kind = token.split('.').length === 3 ? 'a JWT' : 'an opaque';
  return `${target.name}: RS256 at+jwt, ${bits}-bit key, ${jwt.length}-byte token; introspects ${kind} token -> active (${Object.keys(introspected.body).length} members)`;
}

async function load(target: Target, spec: RequestSpec, seconds: number): Promise<Run> {
  const pid = target.server.process.pid!;
  const cpuBefore = processTreeCpuMicros(pid);
  const result = await autocannon({
    url: `${target.server.url}${spec.path}`,
    method: 'POST',
    headers: spec.headers,
    body: spec.body,
    connections,
    pipelining: 1,
    duration: seconds,
  });
  const cpuAfter = processTreeCpuMicros(pid);
  const responses = result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx'];
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = count ?? 0;
  return {
    // Successful responses only: a server answering errors quickly must not look fast.
    okPerSecond: result['2xx'] / result.duration,
    cpuPerRequest: cpuBefore !== undefined && cpuAfter !== undefined && responses > 0 ? (cpuAfter - cpuBefore) / responses : undefined,
    responses,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
  };
}

function assertAlive(target: Target): void {
  const child = target.server.process;
  if (child.exitCode !== null || child.signalCode !== null) {
    throw new Error(`${target.name} exited during the bench (${child.exitCode ?? child.signalCode}):\n${target.server.output()}`);
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const fmt = (n: number, digits = 0) => n.toFixed(digits);
const cpu = (micros: number | undefined) => (micros === undefined ? 'n/a' : fmt(micros));
const pad = (text: string, width: number) => text.padStart(width);

const scenarios: Record<ScenarioName, { title: string }> = {
  issuance: { title: 'client_credentials JWT issuance (POST /token)' },
  introspection: { title: 'introspection (POST /token/introspection): gatehouse JWT vs bare opaque' },
};

const selectedScenarios = (Object.keys(scenarios) as ScenarioName[]).filter((s) => flags.only === undefined || flags.only === s);

type Results = Record<ScenarioName, Record<ServerName, Run[]>>;

/** With several workers bare's opaque tokens live in one worker's memory: only issuance compares. */
const scenariosAt = (workers: number): ScenarioName[] => (workers > 1 ? selectedScenarios.filter((s) => s === 'issuance') : selectedScenarios);

/** Starts both servers with `workers` workers each, measures every scenario, stops them. Undefined if interrupted. */
async function measure(workers: number, sandbox: BenchSandbox, profile: (name: string) => string[], served: Record<ServerName, number>, interrupted: () => boolean): Promise<Results | undefined> {
  const stopAll: Array<() => Promise<void>> = [];
  try {
    const barePort = await freePort();
    const bareServer = await spawnChildServer({
      name: 'bare-provider',
      script: `${packageRoot}dist/bench/bare-provider.js`,
      args: ['--port', String(barePort), '--workers', String(workers)],
      nodeArgs: profile('bare-provider'),
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test' },
      port: barePort,
      readyPath: '/.well-known/openid-configuration',
      ...(workers > 1 ? { readyOutput: 'bare-provider workers listening' } : {}),
      // Each worker makes its own RSA key: slow on a busy machine.
      timeoutMs: 120_000,
    });
    stopAll.push(() => bareServer.stop());

    const gatehousePort = await freePort();
    const gatehouseServer = await spawnChildServer({
      name: 'gatehouse',
      script: gatehouseEntry,
      nodeArgs: profile('gatehouse'),
      env: {
        PATH: process.env.PATH ?? '',
        ...sandbox.env,
        NODE_ENV: 'test',
        // With workers, the supervisor's 'workers listening' line (info) says all are up.
        LOG_LEVEL: workers > 1 ? 'info' : 'warn',
        GATEHOUSE_WORKERS: String(workers),
        GATEHOUSE_RATE_LIMITS: String(flags['rate-limits'] === 'on'),
        GATEHOUSE_IMPORT: `${packageRoot}test/fixtures/import.json`,
        PORT: String(gatehousePort),
        HOST: '127.0.0.1',
        ISSUER: `http://127.0.0.1:${gatehousePort}`,
      },
      port: gatehousePort,
      readyPath: '/readyz',
      ...(workers > 1 ? { readyOutput: '"workers listening"' } : {}),
      timeoutMs: 120_000,
    });
    stopAll.push(() => gatehouseServer.stop());

    const targets: Target[] = [
      makeTarget('bare', bareServer, bareClient, bareClient, true),
      makeTarget('gatehouse', gatehouseServer, gatehouseClients.issuer, gatehouseClients.introspector, false),
    ];
    for (const target of targets) process.stdout.write(`  check ${await verifyEquivalence(target, scenariosAt(workers).includes('introspection'))}\n`);
    process.stdout.write('\n');

    const results: Record<ScenarioName, Record<ServerName, Run[]>> = {
      issuance: { bare: [], gatehouse: [] },
      introspection: { bare: [], gatehouse: [] },
    };
    const specFor = async (scenario: ScenarioName, target: Target) =>
      scenario === 'issuance' ? target.issue : target.introspect(await target.introspectionToken());

    for (const scenario of scenariosAt(workers)) {
      if (warmup > 0) {
        for (const target of targets) {
          if (interrupted()) return undefined;
          const run = await load(target, await specFor(scenario, target), warmup);
          served[target.name] += run.responses;
          if (interrupted()) return undefined;
          assertAlive(target);
          // Not part of the figures, but a warm-up that fails points at a broken set-up.
          const problems = run.non2xx || run.errors ? `  <-- !!! ${run.non2xx} non-2xx ${JSON.stringify(run.statusCodes)}, ${run.errors} errors` : '';
          process.stdout.write(`  warm-up  ${scenario.padEnd(13)} ${target.name.padEnd(9)} ${pad(fmt(run.okPerSecond), 6)} ok/s (not counted)${problems}\n`);
        }
      }
      for (let round = 1; round <= rounds; round++) {
        for (const target of targets) {
          if (interrupted()) return undefined;
          const run = await load(target, await specFor(scenario, target), duration);
          served[target.name] += run.responses;
          // Ctrl-C reaches the children too; their exit is then expected, not a failure to report.
          if (interrupted()) return undefined;
          assertAlive(target);
          results[scenario][target.name].push(run);
          const problems = run.non2xx || run.errors ? `  <-- ${run.non2xx} non-2xx, ${run.errors} errors` : '';
          process.stdout.write(`  round ${round}  ${scenario.padEnd(13)} ${target.name.padEnd(9)} ${pad(fmt(run.okPerSecond), 6)} ok/s  p50 ${run.p50} ms  p99 ${run.p99} ms  cpu ${cpu(run.cpuPerRequest)} µs/req${problems}\n`);
        }
      }
    }

    // Read before the servers stop: the most each process held resident under this load.
    for (const target of targets) {
      const peaks = peakRssPerProcessMb(target.server.process.pid!);
      if (peaks.length) process.stdout.write(`  peak RSS   ${target.name.padEnd(9)} ${peaks.map((mb) => `${fmt(mb)} MB`).join(', ')} (per process, largest first; budget < ${RSS_BUDGET_MB} MB)\n`);
    }
    return results;
  } finally {
    for (const stop of stopAll.reverse()) await stop().catch(() => {});
  }
}

async function main(): Promise<number> {
  const servers = serverUrls;
  let sandbox: BenchSandbox | undefined;
  let interrupted = false;
  // Every response each server gave under load, warm-up included: a profile covers all of them.
  const served: Record<ServerName, number> = { bare: 0, gatehouse: 0 };
  const onSignal = () => {
    interrupted = true;
    process.stderr.write('\ninterrupted: stopping servers and removing the bench database...\n');
  };
  process.once('SIGINT', onSignal);

  const machine = cpus();
  process.stdout.write([
    'Gatehouse token bench',
    `  machine:     ${machine.length} x ${machine[0]?.model ?? 'unknown cpu'}, ${fmt(totalmem() / 2 ** 30, 1)} GiB, node ${process.version}`,
    `  versions:    oidc-provider ${versionOf('oidc-provider')}, autocannon ${versionOf('autocannon')}`,
    // Other work on the machine skews single rounds; alternation and medians absorb some of it, and this shows how much there was.
    `  loadavg:     ${loadavg().map((l) => fmt(l, 2)).join(' ')} (1/5/15 min) at start`,
    `  load:        ${connections} connections, ${rounds} rounds x ${duration} s per server and scenario, ${warmup} s warm-up, alternating bare/gatehouse`,
    '',
  ].join('\n'));

  try {
    sandbox = await createBenchSandbox(servers);
    process.stdout.write(`  gatehouse:   node ${relative(packageRoot, gatehouseEntry)} on ${sandbox.describe}\n`);
    process.stdout.write('  bare:        node dist/bench/bare-provider.js, oidc-provider default in-memory adapter\n');
    if (flags['cpu-prof']) process.stdout.write(`  profiling:   --cpu-prof into ${flags['cpu-prof']} (figures below are slowed by the profiler)\n`);
    process.stdout.write('\n');

    const profile = (name: string) => (flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${flags['cpu-prof']}`, `--cpu-prof-name=${name}.cpuprofile`] : []);
    const byWorkers = new Map<number, Results>();
    for (const workers of workerCounts) {
      if (workerCounts.length > 1) process.stdout.write(`\n  --- ${workers} worker${workers > 1 ? 's' : ''} each ---\n`);
      const results = await measure(workers, sandbox, profile, served, () => interrupted);
      if (!results) return 130;
      byWorkers.set(workers, results);
    }

    process.stdout.write(`\n  loadavg:     ${loadavg().map((l) => fmt(l, 2)).join(' ')} (1/5/15 min) at end; this bench alone accounts for about 2\n`);
    let failures = 0;
    for (const [workers, results] of byWorkers) {
      if (workerCounts.length > 1) process.stdout.write(`\n=== ${workers} worker${workers > 1 ? 's' : ''} each (bare: node:cluster over oidc-provider; gatehouse: GATEHOUSE_WORKERS=${workers}) ===\n`);
      failures += report(results, servers !== undefined, scenariosAt(workers));
    }
    if (workerCounts.length > 1) reportScaling(byWorkers);
    return failures ? 1 : 0;
  } finally {
    await sandbox?.dispose().catch((error: Error) => process.stderr.write(`could not remove the bench sandbox: ${error.message}\n`));
    if (flags['cpu-prof']) {
      const dir = flags['cpu-prof'];
      process.stdout.write([
        '',
        `profiles written to ${dir}; summarise them with`,
        `  node dist/bench/cpu-profile-summary.js ${dir}/gatehouse.cpuprofile --requests ${served.gatehouse}`,
        `  node dist/bench/cpu-profile-summary.js ${dir}/bare-provider.cpuprofile --requests ${served.bare}`,
        '',
      ].join('\n'));
    }
    process.off('SIGINT', onSignal);
  }
}

/** Prints one worker count's table and ratios; returns how many responses failed. */
function report(results: Results, onServers: boolean, measured: readonly ScenarioName[]): number {
  const lines: string[] = [
    '',
    `ok/s = 2xx responses per second (${connections} connections, ${duration} s rounds); cpu = server CPU (all threads of its processes: a cluster's primary and workers) per response`,
    '',
  ];
  const header = `| scenario | server | ${Array.from({ length: rounds }, (_, i) => `round ${i + 1}`).join(' | ')} | median ok/s | p99 ms (median round) | median cpu µs/req | non-2xx | errors |`;
  lines.push(header, `|${header.split('|').slice(1, -1).map(() => ' --- ').join('|')}|`);
  const verdicts: string[] = [];
  let failures = 0;

  for (const scenario of measured) {
    const medians: Partial<Record<ServerName, { ok: number; cpu: number | undefined }>> = {};
    for (const name of ['bare', 'gatehouse'] as const) {
      const runs = results[scenario][name];
      const ok = median(runs.map((r) => r.okPerSecond));
      const cpus = runs.map((r) => r.cpuPerRequest).filter((c): c is number => c !== undefined);
      medians[name] = { ok, cpu: cpus.length === runs.length ? median(cpus) : undefined };
      const medianRun = runs.reduce((best, r) => (Math.abs(r.okPerSecond - ok) < Math.abs(best.okPerSecond - ok) ? r : best));
      const non2xx = runs.reduce((sum, r) => sum + r.non2xx, 0);
      const errors = runs.reduce((sum, r) => sum + r.errors, 0);
      failures += non2xx + errors;
      lines.push(`| ${scenario} | ${name} | ${runs.map((r) => fmt(r.okPerSecond)).join(' | ')} | ${fmt(ok)} | ${medianRun.p99} | ${cpu(medians[name]!.cpu)} | ${non2xx} | ${errors} |`);
    }
    const bare = medians.bare!;
    const gatehouse = medians.gatehouse!;
    const ratio = gatehouse.ok / bare.ok;
    const perRound = results[scenario].gatehouse.map((r, i) => r.okPerSecond / results[scenario].bare[i]!.okPerSecond);
    const verdict = onServers
      ? `target >= ${TARGET_RATIO}x: ${ratio >= TARGET_RATIO ? 'met' : 'NOT MET'}`
      : `target >= ${TARGET_RATIO}x is stated for Postgres + Redis; this run is --embedded, so it is not judged`;
    verdicts.push([
      scenarios[scenario].title,
      // Each round is paired with the bare round just before it, so their ratio cancels slow drift in background load.
      `    gatehouse/bare throughput = ${fmt(ratio, 3)}x (median vs median); paired per round ${perRound.map((r) => fmt(r, 3)).join(', ')} (median ${fmt(median(perRound), 3)})`,
      // The same comparison from CPU cost: what throughput would be if the server's core were the only limit.
      ...(bare.cpu !== undefined && gatehouse.cpu !== undefined
        ? [`    bare/gatehouse cpu per request = ${fmt(bare.cpu / gatehouse.cpu, 3)}x (${fmt(bare.cpu)} vs ${fmt(gatehouse.cpu)} µs; Gatehouse's Postgres and Redis CPU not included)`]
        : []),
      `    ${verdict}`,
    ].join('\n'));
  }
  lines.push('', 'ratios', ...verdicts.map((v) => `  ${v}`));

  if (failures) {
    lines.push('', '!'.repeat(78), `!!! ${failures} NON-2XX RESPONSES OR CONNECTION ERRORS: the figures above are not valid`);
    for (const scenario of measured) {
      for (const name of ['bare', 'gatehouse'] as const) {
        results[scenario][name].forEach((r, i) => {
          if (r.non2xx || r.errors) lines.push(`!!!   ${scenario} ${name} round ${i + 1}: status codes ${JSON.stringify(r.statusCodes)}, ${r.errors} errors, ${r.timeouts} timeouts`);
        });
      }
    }
    lines.push('!'.repeat(78));
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return failures;
}

/**
 * How each server scales from the first worker count to the others (issuance: the one scenario
 * every count measures), by throughput and by CPU per request of its whole process tree.
 */
function reportScaling(byWorkers: Map<number, Results>): void {
  const counts = [...byWorkers.keys()];
  const base = counts[0]!;
  const medianOf = (workers: number, server: ServerName) => {
    const runs = byWorkers.get(workers)!.issuance[server];
    const cpus = runs.map((r) => r.cpuPerRequest).filter((c): c is number => c !== undefined);
    return { ok: median(runs.map((r) => r.okPerSecond)), cpu: cpus.length ? median(cpus) : undefined };
  };
  const lines = [
    '',
    `scaling of ${scenarios.issuance.title} with workers (each server's median ok/s; cpu = µs per response of its primary and workers together)`,
    '',
    '| workers | bare ok/s | bare cpu µs/req | gatehouse ok/s | gatehouse cpu µs/req | gatehouse/bare | bare vs 1 | gatehouse vs 1 |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const workers of counts) {
    const bare = medianOf(workers, 'bare');
    const gatehouse = medianOf(workers, 'gatehouse');
    lines.push(`| ${workers} | ${fmt(bare.ok)} | ${cpu(bare.cpu)} | ${fmt(gatehouse.ok)} | ${cpu(gatehouse.cpu)} | ${fmt(gatehouse.ok / bare.ok, 3)}x | ${fmt(bare.ok / medianOf(base, 'bare').ok, 3)}x | ${fmt(gatehouse.ok / medianOf(base, 'gatehouse').ok, 3)}x |`);
  }
  lines.push('', `  ${cpus().length} CPUs; the load generator, Postgres and Redis share them with the servers, so extra workers mostly compete for the same cores.`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

process.exitCode = await main();
