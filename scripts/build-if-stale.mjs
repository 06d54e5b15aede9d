// Runs before `npm start`: compiles (`tsc -b`) only when a source changed since the last build.
// `tsc -b` with nothing to do still loads the compiler and reads every project's build info:
// seconds on a busy machine, on every start. Comparing modification times is milliseconds.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, utimesSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// What tsconfig.json and packages/verifier/tsconfig.json compile, and what decides how.
const projects = [
  { buildInfo: 'dist/tsconfig.tsbuildinfo', inputs: ['tsconfig.json', 'package.json', 'src', 'migrations', 'test', 'bench', 'examples'] },
  { buildInfo: 'packages/verifier/dist/tsconfig.tsbuildinfo', inputs: ['packages/verifier/tsconfig.json', 'packages/verifier/package.json', 'packages/verifier/src', 'packages/verifier/test'] },
];

const COMPILED = /\.(ts|mts|cts|json)$/;

/**
 * The newest modification time of what the compiler reads under `path`, directories included
 * (a deleted file changes its directory's; so does, once, a Python cache the examples' tests
 * leave, which costs one needless build, after which the build info is newer again).
 */
function newest(path) {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return COMPILED.test(path) ? stat.mtimeMs : 0;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry !== 'node_modules') latest = Math.max(latest, newest(join(path, entry)));
  }
  return latest;
}

/** Why a build is needed, or undefined when every project's build info is newer than its inputs. */
export function staleReason(base = root) {
  for (const { buildInfo, inputs } of projects) {
    let built;
    try {
      built = statSync(join(base, buildInfo)).mtimeMs;
    } catch {
      return `${buildInfo} is missing`;
    }
    for (const input of inputs) {
      if (newest(join(base, input)) > built) return `${input} changed since the last build`;
    }
  }
  return undefined;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (staleReason()) {
    const startedAt = new Date();
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const result = spawnSync(process.execPath, [tsc, '-b'], { cwd: root, stdio: 'inherit' });
    if (result.status !== 0) process.exit(result.status ?? 1);
    // tsc leaves its build info alone when the newer inputs changed nothing: date it to the
    // build's start, so the next start skips the compiler yet still sees edits made since.
    for (const { buildInfo } of projects) {
      const path = join(root, buildInfo);
      if (statSync(path).mtimeMs < startedAt.getTime()) utimesSync(path, startedAt, startedAt);
    }
  }
}
