import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/**
 * CPU time (user + system, all threads) a process has used so far, in microseconds, from
 * /proc/PID/stat; undefined where there is no /proc. The bench divides it by requests served:
 * unlike req/s, CPU per request hardly moves when other work shares the machine.
 */
export function processCpuMicros(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after "pid (comm)"; comm may hold spaces, so split after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  ticksPerSecond ??= clockTicks();
  return (ticks / ticksPerSecond) * 1e6;
}

/**
 * CPU time of a process's libuv thread-pool threads (named `libuv-worker` by Node 22), in
 * microseconds: where argon2, crypto.pbkdf2/scrypt and fs work runs, apart from the main thread.
 * Undefined where there is no /proc.
 */
export function threadPoolCpuMicros(pid: number): number | undefined {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  ticksPerSecond ??= clockTicks();
  let ticks = 0;
  for (const tid of tasks) {
    try {
      if (readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim() !== 'libuv-worker') continue;
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The thread ended since the listing.
    }
  }
  return (ticks / ticksPerSecond) * 1e6;
}

/**
 * CPU time of a process and every live descendant (a cluster's primary and its workers), in
 * microseconds; undefined where there is no /proc.
 */
export function processTreeCpuMicros(pid: number): number | undefined {
  const own = processCpuMicros(pid);
  if (own === undefined) return undefined;
  return descendants(pid).reduce((total, child) => total + (processCpuMicros(child) ?? 0), own);
}

/** The live descendants of a process (a cluster's workers), from /proc. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(name)]);
    } catch {
      // Gone since the listing.
    }
  }
  const found: number[] = [];
  const queue = [...(parents.get(pid) ?? [])];
  while (queue.length) {
    const child = queue.pop()!;
    found.push(child);
    queue.push(...(parents.get(child) ?? []));
  }
  return found;
}

/**
 * The peak resident set (VmHWM, MB) of a process and of each live descendant, largest first;
 * empty where there is no /proc. Issue 12's budget is per process.
 */
export function peakRssPerProcessMb(pid: number): number[] {
  return [pid, ...descendants(pid)].flatMap((each) => {
    try {
      const kb = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${each}/status`, 'utf8'))?.[1];
      return kb ? [Number(kb) / 1024] : [];
    } catch {
      return [];
    }
  }).sort((a, b) => b - a);
}

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}
