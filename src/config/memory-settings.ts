import { setFlagsFromString } from 'node:v8';

/**
 * How the server process holds its memory (issue 12: peak RSS per process under 200 MB). The one
 * place that defines these settings: src/main.ts applies them before anything else loads, so
 * `npm start`, the container image, docker-compose, the tests and the bench all run with them.
 * Measurements in docs/PERFORMANCE.md ("Memory").
 */

/**
 * glibc malloc: a fixed mmap threshold of 1 MiB. By default glibc raises the threshold to the size
 * of the largest block freed so far (up to 32 MiB), so after the first argon2 hash (19 MiB by
 * default, allocated on a libuv pool thread) every later one is carved from that thread's arena,
 * and freed arena memory is not given back: each of the four pool threads kept ~20 MB for good
 * (50–90 MB per process after start-up, from the import's and the login decoy's hashes). A fixed
 * threshold turns the dynamic adjustment off: blocks of 1 MiB or more are mapped and unmapped on
 * their own, smaller ones stay in the arenas as before.
 */
export const MALLOC_ENVIRONMENT: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: String(1024 * 1024),
  // Each argon2id hash now maps its 19 MiB afresh, and faulting it in 4 KiB pages cost ~12 ms of
  // kernel time per hash (21.5 -> 34 ms of CPU per verify here): mapped blocks get transparent
  // huge pages instead (glibc 2.35+, with THP in "madvise" or "always" mode), 23 ms.
  // `node dist/bench/argon2-malloc.js` measures the three.
  GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1',
};

/**
 * V8: grow the old generation by at most 40 % of what survived the last full collection before
 * collecting again. On a machine with more than ~8 GB, V8 otherwise lets it grow up to 4× (its
 * factor depends on the heap limit, itself a quarter of the memory), and under load the heap
 * fills with request garbage promoted by the scavenger: ~45 MB live became 150 MB. This changes
 * when V8 collects, not how much it may hold: the heap limit stays Node's default, so the
 * embedded store (which lives in the heap) can still grow as far as before.
 */
export const V8_MEMORY_FLAGS: readonly string[] = ['--heap-growing-percent=40'];

export interface ProcessView {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  execArgv: readonly string[];
  /** Whether `process.execve` exists (Node 22.15 and later, not on Windows). */
  canExecve: boolean;
}

export interface MemoryPlan {
  /** V8 flags this process lacks. */
  flags: string[];
  /** When set: replace this process (same PID) by one started with this environment and `flags` added. */
  reExecuteWith?: NodeJS.ProcessEnv;
}

const flagName = (flag: string) => flag.split('=')[0]!.replace(/_/g, '-');

/**
 * What `applyMemorySettings` does, decided from a view of the process (pure, for the tests).
 * A setting the operator already chose (their own `MALLOC_MMAP_THRESHOLD_`, glibc tunables or V8
 * flag) is left alone. glibc reads its environment once, when the process starts, which is why
 * this re-executes; V8 reads the growing factor at every collection, so a flag set in a running
 * process suffices when nothing else needs a restart.
 */
export function planMemorySettings(view: ProcessView): MemoryPlan {
  const missingFlags = V8_MEMORY_FLAGS.filter((flag) => !view.execArgv.some((given) => flagName(given) === flagName(flag)));
  const mallocChosen = view.env.MALLOC_MMAP_THRESHOLD_ !== undefined || (view.env.GLIBC_TUNABLES ?? '').includes('glibc.malloc.');
  // Only glibc reads MALLOC_*; elsewhere a restart would buy nothing.
  if (view.platform !== 'linux' || mallocChosen || !view.canExecve) return { flags: missingFlags };
  // Tunables the operator set for other parts of glibc are kept beside ours.
  const tunables = [view.env.GLIBC_TUNABLES, MALLOC_ENVIRONMENT.GLIBC_TUNABLES].filter(Boolean).join(':');
  return { flags: missingFlags, reExecuteWith: { ...view.env, ...MALLOC_ENVIRONMENT, GLIBC_TUNABLES: tunables } };
}

/**
 * Called first thing by src/main.ts, before any module of the server loads. On Linux it replaces
 * the process (same PID, same arguments, through `execve`) by one that has the malloc settings,
 * once: the new process finds them in its environment and goes on. Where that cannot be done it
 * sets the V8 flags in place and carries on without the malloc settings.
 */
export function applyMemorySettings(): void {
  const plan = planMemorySettings({ platform: process.platform, env: process.env, execArgv: process.execArgv, canExecve: typeof process.execve === 'function' });
  if (plan.reExecuteWith) {
    try {
      process.execve!(process.execPath, [process.execPath, ...process.execArgv, ...plan.flags, ...process.argv.slice(1)], plan.reExecuteWith);
    } catch {
      // execve refused (e.g. a sandbox forbidding it): run as we are, with the V8 flags at least.
    }
  }
  for (const flag of plan.flags) setFlagsFromString(flag);
}
