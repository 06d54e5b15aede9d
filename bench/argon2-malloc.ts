import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { MALLOC_ENVIRONMENT } from '../src/config/memory-settings.js';

/**
 * What the server's malloc settings (src/config/memory-settings.ts) cost argon2id, and what they
 * keep off the resident set: the ceiling bench (argon2-ceiling.ts) in a fresh process under
 * glibc's defaults, with the fixed mmap threshold alone, and with the threshold and huge pages
 * (what the server runs with), alternated for `--rounds`. Prints CPU per verify (and its kernel
 * share) and the resident set at the end of each run.
 *
 *   node dist/bench/argon2-malloc.js --rounds 2 --seconds 4
 */
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '2' }, seconds: { type: 'string', default: '4' }, connections: { type: 'string', default: '4' } } });
const ceiling = fileURLToPath(new URL('./argon2-ceiling.js', import.meta.url));
const variants: Array<[string, Record<string, string>]> = [
  ['glibc defaults', {}],
  ['fixed mmap threshold', { MALLOC_MMAP_THRESHOLD_: MALLOC_ENVIRONMENT.MALLOC_MMAP_THRESHOLD_! }],
  ['threshold + huge pages (the server)', { ...MALLOC_ENVIRONMENT }],
];

const run = (env: Record<string, string>) => new Promise<{ verifies: number; cpuMs: number; systemCpuMs: number; rssMb: number }>((resolve, reject) => {
  execFile(process.execPath, [ceiling, '--seconds', values.seconds!, '--connections', values.connections!], { env: { PATH: process.env.PATH ?? '', ...env } }, (error, stdout) => {
    if (error) reject(error);
    else resolve(JSON.parse(stdout.trim().split('\n').pop()!));
  });
});

process.stdout.write('| round | malloc settings | cpu ms/verify | of which kernel | resident at end (MB) |\n| --- | --- | --- | --- | --- |\n');
for (let round = 1; round <= Number(values.rounds); round++) {
  for (const [name, env] of variants) {
    const result = await run(env);
    process.stdout.write(`| ${round} | ${name} | ${(result.cpuMs / result.verifies).toFixed(1)} | ${(result.systemCpuMs / result.cpuMs * 100).toFixed(0)} % | ${result.rssMb} |\n`);
  }
}
