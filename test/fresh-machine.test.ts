import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { packageRoot } from '../src/config/paths.js';
import { mode, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';

const SYSTEM_NODE = '/usr/bin/node';
const systemNodeMajor = existsSync(SYSTEM_NODE)
  ? Number(spawnSync(SYSTEM_NODE, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).stdout.trim())
  : undefined;

describe('on a fresh machine the README\'s two commands run Gatehouse on Node 22', () => {
  it('npm scripts find Node 22 first: on Linux x64 `npm ci` installs it as node_modules/.bin/node', function () {
    if (process.platform !== 'linux' || process.arch !== 'x64') this.skip();
    const bundled = join(packageRoot, 'node_modules/.bin/node');
    assert.ok(existsSync(bundled), 'node_modules/.bin/node exists');
    const version = spawnSync(bundled, ['--version'], { encoding: 'utf8' }).stdout.trim();
    assert.ok(Number(version.slice(1).split('.')[0]) >= 22, version);
    assert.ok(Number(process.versions.node.split('.')[0]) >= 22, `the tests themselves run on ${process.versions.node}`);
  });

  it('the check names an older Node in one line saying what to do, and lets Node 22 and later pass', async () => {
    const { nodeProblem } = await import(pathToFileURL(join(packageRoot, 'scripts/check-node.mjs')).href) as { nodeProblem(version: string): string | undefined };
    assert.match(nodeProblem('20.20.2')!, /^gatehouse: needs Node\.js 22 or newer, found 20\.20\.2; install Node 22 LTS[^\n]*$/);
    assert.equal(nodeProblem('22.12.0'), undefined);
    assert.equal(nodeProblem('24.1.0'), undefined);
  });

  it('with only an older Node installed, npm start and npm test stop at once with that line (exit 1)', function () {
    if (systemNodeMajor === undefined || systemNodeMajor >= 22) this.skip();
    const result = spawnSync(SYSTEM_NODE, [join(packageRoot, 'scripts/check-node.mjs')], { encoding: 'utf8' });
    assert.equal(result.status, 1);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /^gatehouse: needs Node\.js 22 or newer, found 2\d\./);
  });
});

describe('npm start builds only when a source changed (a warm start does not wait for the compiler)', () => {
  it('the start script runs the staleness check, which asks for a build after any input changes, appears or goes', async () => {
    const scripts = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')).scripts as Record<string, string>;
    assert.equal(scripts.start, 'node scripts/build-if-stale.mjs && node dist/src/main.js');
    const { staleReason } = await import(pathToFileURL(join(packageRoot, 'scripts/build-if-stale.mjs')).href) as { staleReason(base?: string): string | undefined };

    const base = mkdtempSync(join(tmpdir(), 'gatehouse-stale-'));
    try {
      const write = (path: string, at: number) => {
        mkdirSync(dirname(join(base, path)), { recursive: true });
        writeFileSync(join(base, path), '{}');
        utimesSync(join(base, path), at, at);
        utimesSync(dirname(join(base, path)), at, at);
      };
      const sources = ['tsconfig.json', 'package.json', 'src/main.ts', 'src/deep/er.ts', 'src/notes.md', 'packages/verifier/tsconfig.json', 'packages/verifier/src/index.ts'];
      const old = Date.now() / 1000 - 100;
      for (const path of sources) write(path, old);
      for (const path of ['src', 'src/deep', 'packages/verifier/src', 'packages/verifier']) utimesSync(join(base, path), old, old);
      assert.match(staleReason(base)!, /dist\/tsconfig.tsbuildinfo is missing/);
      write('dist/tsconfig.tsbuildinfo', old + 10);
      write('packages/verifier/dist/tsconfig.tsbuildinfo', old + 10);
      assert.equal(staleReason(base), undefined);
      utimesSync(join(base, 'src/notes.md'), old + 20, old + 20);
      assert.equal(staleReason(base), undefined, 'files the compiler does not read do not count');
      write('src/deep/er.ts', old + 20);
      assert.match(staleReason(base)!, /^src changed/);
      write('dist/tsconfig.tsbuildinfo', old + 30);
      assert.equal(staleReason(base), undefined);
      rmSync(join(base, 'src/deep/er.ts'));
      assert.match(staleReason(base)!, /^src changed/, 'a deleted source changes its directory');
      write('dist/tsconfig.tsbuildinfo', Date.now() / 1000 + 10);
      write('packages/verifier/src/index.ts', Date.now() / 1000 + 20);
      assert.match(staleReason(base)!, /^packages\/verifier\/src changed/);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});

describe(`/health answers like /healthz, for services written against the seeds (${mode})`, () => {
  let gh: TestGatehouse;
  before(async () => {
    gh = await startTestGatehouse();
  });
  after(async () => gh?.stop());

  it('GET /health is 200 { status: ok } without a token', async () => {
    const response = await fetch(`${gh.issuer}/health`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
  });
});
