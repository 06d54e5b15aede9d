import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';

import { packageRoot } from '../src/config/paths.js';

/** What dist/bench/live-heap-probe.js writes when signalled. */
export interface ProbeReport {
  /** Whether two full collections ran first (only with node --expose-gc). */
  collected: boolean;
  memory: NodeJS.MemoryUsage;
  /** URL of every module the process loaded so far. */
  modules: string[];
}

/** The `--import` value that preloads the probe. */
export const PROBE_PRELOAD = pathToFileURL(join(packageRoot, 'dist/bench/live-heap-probe.js')).href;

/** Signals the probe preloaded into `child` (its LIVE_HEAP_PROBE_OUT is `out`) and waits for its report. */
export async function askProbe(child: ChildProcess, out: string, output: () => string = () => ''): Promise<ProbeReport> {
  rmSync(out, { force: true });
  child.kill('SIGUSR2');
  for (let waited = 0; ; waited += 50) {
    if (waited > 10_000) throw new Error(`the probe did not answer:\n${output()}`);
    // The file may be seen before it is fully written.
    try {
      if (existsSync(out)) return JSON.parse(readFileSync(out, 'utf8')) as ProbeReport;
    } catch {
      // Not complete yet.
    }
    await sleep(50);
  }
}
