import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { MALLOC_ENVIRONMENT, planMemorySettings, V8_MEMORY_FLAGS, type ProcessView } from '../src/config/memory-settings.js';
import { packageRoot } from '../src/config/paths.js';

const linux: ProcessView = { platform: 'linux', env: { PATH: '/usr/bin' }, execArgv: [], canExecve: true };
const canReExecute = process.platform === 'linux' && typeof process.execve === 'function';

/** Runs `source` as an ES module in a child node; returns its stdout lines parsed as JSON. */
function runModule(source: string, args: string[] = [], env: NodeJS.ProcessEnv = { PATH: process.env.PATH }): { lines: Array<Record<string, unknown>>; status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-memory-'));
  try {
    const file = join(dir, 'probe.mjs');
    writeFileSync(file, source);
    const result = spawnSync(process.execPath, [file, ...args], { env, encoding: 'utf8', timeout: 60_000 });
    const lines = result.stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
    return { lines, status: result.status, output: result.stdout + result.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('memory settings: how the server process holds its memory (issue 12)', () => {
  describe('the plan', () => {
    it('on Linux, re-executes once with the malloc settings and the V8 flags', () => {
      const plan = planMemorySettings(linux);
      assert.deepEqual(plan.flags, [...V8_MEMORY_FLAGS]);
      assert.deepEqual(plan.reExecuteWith, { PATH: '/usr/bin', ...MALLOC_ENVIRONMENT });
    });

    it('does nothing more in the re-executed process (no loop)', () => {
      const plan = planMemorySettings({ ...linux, env: { ...linux.env, ...MALLOC_ENVIRONMENT }, execArgv: [...V8_MEMORY_FLAGS] });
      assert.deepEqual(plan, { flags: [] });
    });

    it('leaves the operator\'s own malloc settings and V8 flag alone', () => {
      assert.equal(planMemorySettings({ ...linux, env: { MALLOC_MMAP_THRESHOLD_: '131072' } }).reExecuteWith, undefined);
      assert.equal(planMemorySettings({ ...linux, env: { GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=0' } }).reExecuteWith, undefined);
      assert.equal(planMemorySettings({ ...linux, env: { GLIBC_TUNABLES: 'glibc.rtld.optional_static_tls=2048' } }).reExecuteWith?.GLIBC_TUNABLES, 'glibc.rtld.optional_static_tls=2048:glibc.malloc.hugetlb=1', 'other tunables are kept');
      assert.deepEqual(planMemorySettings({ ...linux, execArgv: ['--heap_growing_percent=25'] }).flags, []);
    });

    it('without execve, or off Linux, only sets the V8 flags in place', () => {
      assert.deepEqual(planMemorySettings({ ...linux, canExecve: false }), { flags: [...V8_MEMORY_FLAGS] });
      assert.deepEqual(planMemorySettings({ ...linux, platform: 'darwin' }), { flags: [...V8_MEMORY_FLAGS] });
    });
  });

  describe('in a real process', function () {
    before(function () {
      if (!canReExecute) this.skip();
    });

    it('dist/src/main.js re-executes itself (same PID) with the settings before it reads its configuration', () => {
      // A preload prints what each incarnation of the process sees; the bad PORT then stops the
      // server at its configuration check (exit 2), after the settings were applied.
      const preload = `data:text/javascript,${encodeURIComponent('console.log(JSON.stringify({ pid: process.pid, threshold: process.env.MALLOC_MMAP_THRESHOLD_ ?? null, execArgv: process.execArgv }))')}`;
      const result = spawnSync(process.execPath, ['--import', preload, join(packageRoot, 'dist/src/main.js')], {
        env: { PATH: process.env.PATH, PORT: 'not-a-port' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      const lines = result.stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { pid: number; threshold: string | null; execArgv: string[] });
      assert.equal(result.status, 2, result.stdout + result.stderr);
      assert.equal(lines.length, 2, result.stdout);
      const [first, second] = lines as [typeof lines[0], typeof lines[0]];
      assert.equal(first.threshold, null);
      assert.equal(second.pid, first.pid);
      assert.equal(second.threshold, MALLOC_ENVIRONMENT.MALLOC_MMAP_THRESHOLD_);
      for (const flag of V8_MEMORY_FLAGS) assert.ok(second.execArgv.includes(flag), `${flag} in ${second.execArgv.join(' ')}`);
    });

    it('argon2 hashes on the thread pool leave their memory to the system, not to the threads\' malloc arenas', () => {
      // Three rounds of four hashes at the default cost (19 MiB each), as the import and logins
      // run them. Without the settings glibc keeps ~19 MiB per pool thread for good (77 MB here).
      const source = `
        import { readFileSync } from 'node:fs';
        const [settingsUrl, argon2Url, mode] = process.argv.slice(2);
        if (mode === 'with') (await import(settingsUrl)).applyMemorySettings();
        const argon2 = (await import(argon2Url)).default;
        const anonMb = () => Number(/RssAnon:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
        const before = anonMb();
        for (let round = 0; round < 3; round++) {
          await Promise.all([0, 1, 2, 3].map((i) => argon2.hash('password-' + round + '-' + i, { type: argon2.argon2id, memoryCost: 19456, timeCost: 1, parallelism: 1 })));
        }
        console.log(JSON.stringify({ retainedMb: anonMb() - before }));
      `;
      const args = [pathToFileURL(join(packageRoot, 'dist/src/config/memory-settings.js')).href, import.meta.resolve('argon2')];
      const withSettings = runModule(source, [...args, 'with']);
      const without = runModule(source, [...args, 'without']);
      assert.equal(withSettings.status, 0, withSettings.output);
      assert.equal(without.status, 0, without.output);
      const kept = (run: typeof without) => run.lines[0]!.retainedMb as number;
      // The control shows the test can see the problem at all.
      assert.ok(kept(without) > 30, `without the settings ${kept(without)} MB stayed (expected the arenas to keep > 30 MB)`);
      assert.ok(kept(withSettings) < 15, `with the settings ${kept(withSettings)} MB stayed`);
    });
  });
});
