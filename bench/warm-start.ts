import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { packageRoot } from '../src/config/paths.js';
import { freePort } from './child-server.js';
import { processTreeCpuMicros } from './process-cpu.js';

const usage = `usage: node dist/bench/warm-start.js [--rounds 3]

Issue 12, item 1: seconds from \`npm start\` to discovery (GET /.well-known/openid-configuration
answering 200) on a warm checkout: the build current, the embedded database and keys already
made by a first start (not counted). Also times the parts alone: the Node check, the build check
(scripts/build-if-stale.mjs), \`tsc -b\` with nothing to do (what \`npm start\` ran before the build
check) and \`node dist/src/main.js\`. Median of --rounds; CPU seconds of a start beside its wall time.`;

const { values: flags } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, help: { type: 'boolean' } } });
if (flags.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-warm-start-'));
const baseEnv = { ...process.env, GATEHOUSE_DATA_DIR: join(dir, 'data'), GATEHOUSE_KEYS_DIR: join(dir, 'keys'), LOG_LEVEL: 'warn' } as Record<string, string>;
delete baseEnv.DATABASE_URL;
delete baseEnv.REDIS_URL;

/** Milliseconds from spawning `command` to discovery answering 200, and the CPU the process tree used by then; the server is then stopped. */
async function timeToDiscovery(command: string, args: string[]): Promise<{ ms: number; cpuMs: number }> {
  const port = await freePort();
  const started = Date.now();
  const child = spawn(command, args, { cwd: packageRoot, env: { ...baseEnv, PORT: String(port), HOST: '127.0.0.1' }, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr!.on('data', (c) => { stderr += c; });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${command} ${args.join(' ')} exited ${child.exitCode}: ${stderr}`);
      if (Date.now() - started > 120_000) throw new Error('no discovery within 120 s');
      try {
        const response = await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`);
        await response.arrayBuffer();
        if (response.ok) return { ms: Date.now() - started, cpuMs: (processTreeCpuMicros(child.pid!) ?? 0) / 1000 };
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    // npm runs the server as its child: signal the whole group, then wait for npm.
    const gone = new Promise((r) => child.once('exit', r));
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
    await gone;
  }
}

function timeCommand(command: string, args: string[]): number {
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: packageRoot, env: baseEnv, stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}`);
  return Date.now() - started;
}

try {
  const rounds = Number(flags.rounds);
  process.stderr.write(`load average at start ${loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
  process.stderr.write('first start (makes the embedded database and keys; not counted)…\n');
  await timeToDiscovery('npm', ['start']);
  const cpu = { npmStart: [] as number[], mainOnly: [] as number[] };
  const parts = { npmStart: [] as number[], nodeCheck: [] as number[], buildCheck: [] as number[], tscNoop: [] as number[], mainOnly: [] as number[] };
  for (let i = 0; i < rounds; i += 1) {
    const viaNpm = await timeToDiscovery('npm', ['start']);
    parts.npmStart.push(viaNpm.ms);
    cpu.npmStart.push(viaNpm.cpuMs);
    parts.nodeCheck.push(timeCommand(process.execPath, ['scripts/check-node.mjs']));
    parts.buildCheck.push(timeCommand(process.execPath, ['scripts/build-if-stale.mjs']));
    parts.tscNoop.push(timeCommand('npm', ['run', '--silent', 'build']));
    const direct = await timeToDiscovery(process.execPath, ['dist/src/main.js']);
    parts.mainOnly.push(direct.ms);
    cpu.mainOnly.push(direct.cpuMs);
  }
  const s = (xs: number[]) => `${(median(xs) / 1000).toFixed(2)} s (${xs.map((x) => (x / 1000).toFixed(2)).join(', ')})`;
  process.stdout.write([
    `warm start, median of ${rounds} (rounds in brackets), Node ${process.versions.node}, embedded database, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}:`,
    `  npm start → discovery 200          ${s(parts.npmStart)}; CPU ${s(cpu.npmStart)}`,
    `  of which, measured alone:`,
    `    node scripts/check-node.mjs      ${s(parts.nodeCheck)}`,
    `    node scripts/build-if-stale.mjs  ${s(parts.buildCheck)}`,
    `    tsc -b, nothing to do (before)   ${s(parts.tscNoop)}`,
    `    node dist/src/main.js → 200      ${s(parts.mainOnly)}; CPU ${s(cpu.mainOnly)}`,
    '',
  ].join('\n'));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
