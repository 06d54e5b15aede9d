import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { cp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import pg from 'pg';

import { loadConfig, type Config } from '../../src/config/load-config.js';
import { packageRoot } from '../../src/config/paths.js';
import { runCommandLine } from '../../src/cli/command-line.js';
import { startGatehouse, type Gatehouse } from '../../src/gatehouse.js';
import { generateSigningKey, writeKeyFile, type KeyFile } from '../../src/oidc/keys.js';
import { createDatabase, migrateLatest } from '../../src/storage/postgres/database.js';
import { createLogger } from '../../src/logger.js';

/** `npm test` runs against real Postgres + Redis when DATABASE_URL and REDIS_URL are set, else embedded. */
export const serverUrls = { database: process.env.DATABASE_URL, redis: process.env.REDIS_URL };
export const mode: 'servers' | 'embedded' = serverUrls.database && serverUrls.redis ? 'servers' : 'embedded';
export const fixtureImport = join(packageRoot, 'test/fixtures/import.json');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

/** A throw-away database (servers mode) or data directory (embedded), plus keys and a Redis prefix. */
export interface Sandbox {
  env: Record<string, string>;
  dir: string;
  dispose(): Promise<void>;
}

/**
 * A migrated, empty embedded database, made once per test process: PGlite's first start
 * (initdb) takes seconds, opening an existing data directory a fraction of one, so every embedded
 * sandbox starts from a copy of this one instead of from nothing.
 */
let pgliteTemplate: Promise<{ dir: string; data: string }> | undefined;
function migratedPglite(): Promise<{ dir: string; data: string }> {
  pgliteTemplate ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-template-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const { db } = await createDatabase({ dataDir: dir, poolMax: 1 });
    try {
      await migrateLatest(db);
    } finally {
      await db.destroy();
    }
    return { dir, data: join(dir, 'pglite') };
  })();
  return pgliteTemplate;
}

/**
 * The next sandbox's copy of the template, made in the background while a test runs: a copy is
 * 40 MB in about 1100 files, a second or more of a loaded machine's time when made on demand
 * (two minutes over the suite's servers). Each copy serves one sandbox; a failed one is made again.
 */
let spareCopy: Promise<string> | undefined;
let copies = 0;
function copyTemplate(): Promise<string> {
  return migratedPglite().then(async ({ dir, data }) => {
    const copy = join(dir, `copy-${++copies}`);
    await cp(data, copy, { recursive: true });
    return copy;
  });
}
async function freshPgliteInto(target: string): Promise<void> {
  // Taken before any await: two sandboxes made at once must not get the same copy.
  const spare = spareCopy;
  spareCopy = undefined;
  const copy = spare ? await spare.catch(() => copyTemplate()) : await copyTemplate();
  // The next one starts once this one is done, so the two do not compete for the disk.
  if (!spareCopy) {
    spareCopy = copyTemplate();
    // Settled here, or a process that exits before the next sandbox would report the rejection.
    spareCopy.catch(() => {});
  }
  // Same file system (both under the temporary directory): a rename, not another copy.
  renameSync(copy, target);
}

/** Sandboxes' directories, removed in the background; what is left at exit goes then. */
const removing = new Set<string>();
process.once('exit', () => { for (const dir of removing) rmSync(dir, { recursive: true, force: true }); });
function removeInBackground(dir: string): void {
  removing.add(dir);
  rm(dir, { recursive: true, force: true }).then(() => removing.delete(dir), () => {});
}

/**
 * A signing key made once per test process: RSA key generation takes a quarter to a whole second on
 * a loaded machine, and every server start in development mode would otherwise make one.
 */
let signingKeyFile: Promise<KeyFile> | undefined;
function testKeyFile(): Promise<KeyFile> {
  signingKeyFile ??= generateSigningKey().then((key) => ({ keys: [key], meta: { [key.kid]: { created_at: new Date().toISOString() } } }));
  return signingKeyFile;
}

export interface SandboxOptions {
  /** false: no key file, so the server's development start generates one (test/key-rotation.test.ts checks that file). */
  seedKeys?: boolean;
}

export async function createSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    GATEHOUSE_DATA_DIR: join(dir, 'data'),
    GATEHOUSE_KEYS_DIR: join(dir, 'keys'),
    GATEHOUSE_KEYS_RELOAD_SECONDS: '0.2',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // The fixture's admins sign in with a password alone in most tests; test/second-factors.test.ts turns it on.
    GATEHOUSE_MFA_ADMINS: 'false',
    // argon2id at its cheapest: production's 19 MiB × 2 passes cost every boot (the fixture's users) and
    // every login tens of milliseconds of CPU. test/session-and-passwords.test.ts checks the defaults.
    GATEHOUSE_PASSWORD_HASH_MEMORY_KIB: '1024',
    GATEHOUSE_PASSWORD_HASH_TIME_COST: '1',
  };
  if (options.seedKeys !== false) writeKeyFile(env.GATEHOUSE_KEYS_DIR!, await testKeyFile());
  let dropDatabase = async () => {};
  if (mode === 'embedded') {
    mkdirSync(env.GATEHOUSE_DATA_DIR!, { recursive: true });
    await freshPgliteInto(join(env.GATEHOUSE_DATA_DIR!, 'pglite'));
  }
  if (mode === 'servers') {
    const name = `gh_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: serverUrls.database });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(serverUrls.database!);
    url.pathname = `/${name}`;
    env.DATABASE_URL = url.href;
    env.REDIS_URL = serverUrls.redis!;
    env.REDIS_KEY_PREFIX = `${name}:`;
    dropDatabase = async () => {
      const client = new pg.Client({ connectionString: serverUrls.database });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    };
  }
  return {
    env,
    dir,
    async dispose() {
      await dropDatabase();
      removeInBackground(dir);
    },
  };
}

/** extraEnv for a server that hashes passwords with the production defaults (an empty value is unset). */
export const productionHashing: Record<string, string> = { GATEHOUSE_PASSWORD_HASH_MEMORY_KIB: '', GATEHOUSE_PASSWORD_HASH_TIME_COST: '' };

export interface TestGatehouse {
  issuer: string;
  config: Config;
  gatehouse: Gatehouse;
  sandbox: Sandbox;
  stop(): Promise<void>;
}

/** Gatehouse in this process, on a free port, with the fixture import applied. */
export async function startTestGatehouse(extraEnv: Record<string, string> = {}, sandbox?: Sandbox): Promise<TestGatehouse> {
  const box = sandbox ?? (await createSandbox());
  const port = await freePort();
  const config = loadConfig({ GATEHOUSE_IMPORT: fixtureImport, ...box.env, PORT: String(port), HOST: '127.0.0.1', ISSUER: `http://127.0.0.1:${port}`, ...extraEnv });
  const gatehouse = await startGatehouse(config, createLogger(config.logLevel));
  return {
    issuer: config.issuer,
    config,
    gatehouse,
    sandbox: box,
    async stop() {
      await gatehouse.close();
      if (!sandbox) await box.dispose();
    },
  };
}

export interface ChildGatehouse {
  /** Where this process listens (its ISSUER may differ: cluster nodes share one). */
  url: string;
  process: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/** Gatehouse as its own process (`node dist/src/main.js`), resolved once it listens. */
export async function spawnGatehouse(env: Record<string, string>, port?: number): Promise<ChildGatehouse> {
  port ??= await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [join(packageRoot, 'dist/src/main.js')], {
    // The harness waits for the 'listening' log line, so the level is at least info.
    env: { PATH: process.env.PATH, ISSUER: url, ...env, LOG_LEVEL: 'info', PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => { output += chunk; });
  child.stderr!.on('data', (chunk) => { output += chunk; });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gatehouse did not start:\n${output}`)), 60_000);
    const check = () => {
      if (output.includes('gatehouse listening')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gatehouse exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Runs the gatehouse CLI; resolves with exit code and output. */
export async function runCli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(packageRoot, 'dist/src/cli/main.js'), ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => { stdout += c; });
  child.stderr.on('data', (c) => { stderr += c; });
  const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? -1)));
  return { code, stdout, stderr };
}

/**
 * The same command in this process (src/cli/command-line.ts, all the binary runs), with exactly
 * `env` and `input` as standard input: for tests of what a command does. A spawned CLI costs a
 * Node start and, embedded, a database open: one to two seconds a command on a loaded machine.
 * Tests of the binary itself (exit codes, pipes) spawn it with runCli.
 */
export async function runCliInProcess(args: string[], env: Record<string, string>, input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCommandLine(args, {
    env: { PATH: process.env.PATH, ...env },
    stdin: Readable.from(input === undefined ? [] : [input]),
    stdout: (text) => { stdout += text; },
    stderr: (text) => { stderr += text; },
  });
  return { code, stdout, stderr };
}

export const portal = { id: 'portal', secret: 's3cret-value-portal', redirectUri: 'http://127.0.0.1:8081/cb' };
export const backend = { id: 'cms-backend', secret: 's3cret-value-backend' };
export const spa = { id: 'spa', redirectUri: 'http://127.0.0.1:8082/cb' };
export const CMS = 'https://cms.example';
export const john = { username: 'john', password: 'pass123-long-enough' };

export const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** POSTs a form to a token-family endpoint. */
export async function postForm(url: string, form: Record<string, string>, auth?: { id: string; secret: string }): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...(auth ? { authorization: basic(auth.id, auth.secret) } : {}) },
    body: new URLSearchParams(form),
  });
  return { status: response.status, body: await readJsonBody(response), headers: response.headers };
}

/** A response body as JSON, `{}` when empty, `{ raw }` when it is not JSON. */
export async function readJsonBody(response: Response): Promise<Record<string, unknown>> {
  const text = await response.text();
  try {
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    return { raw: text };
  }
}
