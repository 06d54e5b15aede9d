import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Browser } from 'playwright-core';

import { launchChromium } from '../test/helpers/browser.js';

import { createBenchSandbox, type BenchSandbox } from './bench-sandbox.js';
import { freePort, spawnChildServer, type ChildServer } from './child-server.js';

/**
 * A Gatehouse of its own (a child process on a fresh sandbox) seeded through an import file with
 * generated users and labs, and a headless Chromium signed in to its console: what the console
 * bench and the screenshot script share.
 */

export const packageRoot = fileURLToPath(new URL('../../', import.meta.url));
export { settled, signInToConsole } from '../test/helpers/console-browser.js';
export { root as rootAdmin } from '../test/helpers/management-api.js';

/**
 * Every console page worth a look, with what shows it has loaded (a selector visible once the data
 * is there) and, where a part of it keeps working after the page is usable (with its own loading
 * state), that part's selector: it is timed apart.
 */
export const CONSOLE_PAGES: ReadonlyArray<{ name: string; path: string | ((ids: SeedIds) => string); ready: string; background?: string }> = [
  { name: 'dashboard', path: '', ready: '.stat-value, .chart' },
  { name: 'users', path: 'users', ready: 'table.data tbody tr' },
  { name: 'user', path: (ids) => `users/${ids.user}`, ready: 'dl.details' },
  { name: 'labs', path: 'labs', ready: 'table.data tbody tr' },
  { name: 'lab', path: (ids) => `labs/${ids.lab}`, ready: 'table.data tbody tr' },
  { name: 'clients', path: 'clients', ready: 'table.data tbody tr' },
  { name: 'client', path: (ids) => `clients/${ids.client}`, ready: 'dl.details' },
  { name: 'resources', path: 'resources', ready: 'table.data tbody tr' },
  { name: 'webhooks', path: 'webhooks', ready: 'table.data tbody tr, .state-empty' },
  { name: 'audit', path: 'audit', ready: 'table.data tbody tr', background: '[data-background="chain-check"]' },
  { name: 'signing-keys', path: 'signing-keys', ready: 'table.data tbody tr' },
];

export interface SeedIds { user: string; lab: string; client: string }

export interface SeededConsole {
  server: ChildServer;
  sandbox: BenchSandbox;
  browser: Browser;
  ids: SeedIds;
  stop(): Promise<void>;
}

/** The test fixtures plus `users` generated users spread over `labs` generated labs (each user a member of one). */
function writeImport(dir: string, users: number, labs: number): string {
  const doc = JSON.parse(readFileSync(join(packageRoot, 'test/fixtures/import.json'), 'utf8')) as { labs: unknown[]; users: unknown[] };
  for (let n = 1; n <= labs; n++) doc.labs.push({ id: `lab-g${n}`, name: `Generated lab ${n}` });
  for (let n = 1; n <= users; n++) {
    doc.users.push({
      id: `console-user-${n}`, username: `person-${n}`, email: `person-${n}@example.test`, given_name: 'Person', family_name: `Number ${n}`,
      ...(labs ? { memberships: [{ lab: `lab-g${(n % labs) + 1}`, role: n % 50 === 0 ? 'admin' : 'member' }] } : {}),
    });
  }
  const file = join(dir, 'console-import.json');
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

export async function startSeededConsole(options: { users: number; labs: number; servers?: { adminDatabaseUrl: string; redisUrl: string } }): Promise<SeededConsole> {
  const sandbox = await createBenchSandbox(options.servers);
  const dir = sandbox.env.GATEHOUSE_DATA_DIR!.replace(/\/data$/, '');
  const port = await freePort();
  const server = await spawnChildServer({
    name: 'gatehouse',
    script: `${packageRoot}dist/src/main.js`,
    env: {
      PATH: process.env.PATH ?? '', ...sandbox.env, NODE_ENV: 'test', LOG_LEVEL: 'warn',
      GATEHOUSE_IMPORT: writeImport(dir, options.users, options.labs),
      // The fixtures' admin has no second factor: as in the tests, admins are not made to enrol one.
      GATEHOUSE_MFA_ADMINS: 'false', PORT: String(port), HOST: '127.0.0.1', ISSUER: `http://127.0.0.1:${port}`,
    },
    port,
    readyPath: '/readyz',
    timeoutMs: 600_000,
  });
  const browser = await launchChromium();
  return {
    server, sandbox, browser,
    ids: { user: options.users ? 'console-user-1' : 'u-john', lab: options.labs ? 'lab-g1' : 'lab-1', client: 'ops-service' },
    async stop() {
      await browser.close();
      await server.stop();
      await sandbox.dispose();
    },
  };
}

export const pathOf = (entry: (typeof CONSOLE_PAGES)[number], ids: SeedIds) => (typeof entry.path === 'function' ? entry.path(ids) : entry.path);
