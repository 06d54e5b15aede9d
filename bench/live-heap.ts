import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

import { packageRoot } from '../src/config/paths.js';
import { createBenchSandbox } from './bench-sandbox.js';
import { freePort, spawnChildServer, type ChildServer } from './child-server.js';
import { askProbe, PROBE_PRELOAD, type ProbeReport } from './probe-report.js';

const usage = `usage: node dist/bench/live-heap.js [options]
  --gatehouse FILE   the entry point to run (default dist/src/main.js), e.g. a build of another commit
  --no-import        start without GATEHOUSE_IMPORT (no users, so no password is checked; no token requests)
  --requests N       client_credentials tokens and introspections after start, one at a time (default 50)
  --embedded         embedded PGlite + in-process store instead of Postgres + Redis
  --database-url U   (default $DATABASE_URL or postgres://postgres@127.0.0.1:5432/test)
  --redis-url U      (default $REDIS_URL or redis://127.0.0.1:6379)

Issue 12, item 4: what a Gatehouse node keeps live. Starts the server as the token bench does
(fresh database and Redis prefix, NODE_ENV=test, the fixture import), with a preload
(dist/bench/live-heap-probe.js) that runs two full collections on a signal and reports the heap
then, and the modules loaded. Read 1 s after /readyz answers, and again after the token requests:
heapUsed after GC is what the old generation's growth multiplies (docs/PERFORMANCE.md, "Memory").`;

const { values: flags } = parseArgs({
  options: {
    gatehouse: { type: 'string', default: join(packageRoot, 'dist/src/main.js') },
    'no-import': { type: 'boolean', default: false },
    requests: { type: 'string', default: '50' },
    embedded: { type: 'boolean', default: false },
    'database-url': { type: 'string', default: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
    'redis-url': { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
const requests = Number(flags.requests);
if (!Number.isInteger(requests) || requests < 0) {
  process.stderr.write(`live-heap: --requests = ${JSON.stringify(flags.requests)}: expected a whole number\n${usage}\n`);
  process.exit(2);
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** The probe's report, after two full collections. */
async function probe(server: ChildServer, out: string): Promise<ProbeReport> {
  const report = await askProbe(server.process, out, server.output);
  if (!report.collected) throw new Error('the probe could not collect garbage (no --expose-gc)');
  return report;
}

async function post(url: string, auth: string, form: Record<string, string>): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${url}: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

async function main(): Promise<void> {
  const sandbox = await createBenchSandbox(flags.embedded ? undefined : { adminDatabaseUrl: flags['database-url'], redisUrl: flags['redis-url'] });
  const out = join(tmpdir(), `gatehouse-live-heap-${process.pid}.json`);
  const port = await freePort();
  let server: ChildServer | undefined;
  try {
    server = await spawnChildServer({
      name: 'gatehouse',
      script: resolve(flags.gatehouse),
      nodeArgs: ['--expose-gc', '--import', PROBE_PRELOAD],
      env: {
        PATH: process.env.PATH ?? '',
        ...sandbox.env,
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        ...(flags['no-import'] ? {} : { GATEHOUSE_IMPORT: join(packageRoot, 'test/fixtures/import.json') }),
        PORT: String(port),
        HOST: '127.0.0.1',
        ISSUER: `http://127.0.0.1:${port}`,
        LIVE_HEAP_PROBE_OUT: out,
      },
      port,
      readyPath: '/readyz',
      timeoutMs: 120_000,
    });
    const pid = server.process.pid!;
    const report = (when: string, { memory, modules }: ProbeReport) => {
      const peak = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      process.stdout.write(`${when.padEnd(22)} heapUsed after GC ${mb(memory.heapUsed)}, RSS ${mb(memory.rss)} (peak so far ${peak ? mb(Number(peak) * 1024) : 'n/a'}), external ${mb(memory.external)}, ${modules.length} modules\n`);
    };
    process.stdout.write(`gatehouse: node ${flags.gatehouse} on ${sandbox.describe}${flags['no-import'] ? ', no import' : ', test/fixtures/import.json imported'}\n`);
    await sleep(1000);
    const started = await probe(server, out);
    report('after start', started);
    if (flags['no-import'] || requests === 0) return;

    for (let i = 0; i < requests; i++) {
      const token = await post(`${server.url}/token`, basic('cms-backend', 's3cret-value-backend'), { grant_type: 'client_credentials', resource: 'https://cms.example', scope: 'cases:read' });
      const answer = await post(`${server.url}/token/introspection`, basic('portal', 's3cret-value-portal'), { token: String(token.access_token) });
      if (answer.active !== true) throw new Error(`introspection: ${JSON.stringify(answer)}`);
    }
    const served = await probe(server, out);
    report(`after ${requests} + ${requests} req`, served);
    const known = new Set(started.modules);
    const added = served.modules.filter((url) => !known.has(url));
    process.stdout.write(`modules the token requests loaded: ${added.length ? added.map((url) => url.replace(/^.*\/node_modules\//, '')).join(', ') : 'none'}\n`);
  } finally {
    await server?.stop();
    rmSync(out, { force: true });
    await sandbox.dispose();
  }
}

await main();
