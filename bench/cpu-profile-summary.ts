import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

/**
 * Summarises a `node --cpu-prof` profile (the .cpuprofile JSON) as text: where self time goes by
 * function and by package, and which functions' subtrees hold the most time. Made for the
 * profiles `npm run bench -- --cpu-prof DIR` writes; works on any .cpuprofile.
 *
 *   node dist/bench/cpu-profile-summary.js /tmp/prof/gatehouse.cpuprofile [--top 25] [--callers hash] [--requests N]
 *
 * --requests N (the bench prints it) adds a column of main-thread µs per request, which is what
 * two profiles of different lengths can be compared by.
 *
 * --callers NAME adds where the self time of functions named NAME (or printed as NAME) comes
 * from: their callers, --depth frames up (default 3). For leaf functions whose name alone says
 * little (hash, writev, an anonymous function).
 */

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: 'string', default: '25' },
    callers: { type: 'string', multiple: true, default: [] },
    depth: { type: 'string', default: '3' },
    requests: { type: 'string' },
  },
});
if (positionals.length !== 1) {
  process.stderr.write('usage: node dist/bench/cpu-profile-summary.js FILE.cpuprofile [--top N] [--callers NAME]...\n');
  process.exit(2);
}
const top = Number(values.top);
const profile = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as CpuProfile;

// Synthetic V8 nodes: not code anyone can change, but (garbage collector) is worth seeing.
const IDLE = '(idle)';

const shortUrl = (url: string) => {
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) return path.slice(nm + '/node_modules/'.length);
  const dist = path.indexOf('/dist/');
  if (dist >= 0) return path.slice(dist + 1);
  return path;
};

const keyOf = ({ functionName, url, lineNumber }: CallFrame) =>
  url ? `${functionName || '(anonymous)'}  ${shortUrl(url)}:${lineNumber + 1}` : functionName || '(anonymous)';

/** Which code a frame belongs to: an npm package, Gatehouse itself, Node's internals or V8. */
const packageOf = ({ url, functionName }: CallFrame) => {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const path = url.replace(/^file:\/\//, '');
  const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
  if (match) return match[1]!;
  if (path.startsWith('node:')) return 'node: internals';
  if (path.includes('/dist/src/')) return 'gatehouse (dist/src)';
  if (path.includes('/dist/bench/')) return 'bench';
  return path;
};

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

const selfByNode = new Map<number, number>();
profile.samples.forEach((id, i) => selfByNode.set(id, (selfByNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

let total = 0;
let idle = 0;
const selfByFunction = new Map<string, number>();
const selfByPackage = new Map<string, number>();
const inclusive = new Map<string, number>();
const pathKeys = new Map<number, Set<string>>();

// The distinct functions on a node's stack, so recursion counts a sample once.
const keysOnPath = (id: number): Set<string> => {
  const cached = pathKeys.get(id);
  if (cached) return cached;
  const up = parent.get(id);
  const keys = new Set(up === undefined ? [] : keysOnPath(up));
  keys.add(keyOf(byId.get(id)!.callFrame));
  pathKeys.set(id, keys);
  return keys;
};

for (const [id, micros] of selfByNode) {
  const frame = byId.get(id)!.callFrame;
  total += micros;
  if (frame.functionName === IDLE) {
    idle += micros;
    continue;
  }
  const key = keyOf(frame);
  selfByFunction.set(key, (selfByFunction.get(key) ?? 0) + micros);
  const pkg = packageOf(frame);
  selfByPackage.set(pkg, (selfByPackage.get(pkg) ?? 0) + micros);
  for (const k of keysOnPath(id)) inclusive.set(k, (inclusive.get(k) ?? 0) + micros);
}

const busy = total - idle;

// Self time of the named functions, keyed by the three frames above them.
const depth = Number(values.depth);
const callers = new Map<string, Map<string, number>>(values.callers.map((name) => [name, new Map()]));
for (const [id, micros] of selfByNode) {
  const frame = byId.get(id)!.callFrame;
  const byCaller = callers.get(frame.functionName) ?? callers.get(keyOf(frame));
  if (!byCaller) continue;
  const chain: string[] = [];
  for (let up = parent.get(id); up !== undefined && chain.length < depth; up = parent.get(up)) chain.push(keyOf(byId.get(up)!.callFrame));
  const key = chain.join('  <  ');
  byCaller.set(key, (byCaller.get(key) ?? 0) + micros);
}
const requests = values.requests === undefined ? undefined : Number(values.requests);
const ms = (micros: number) => (micros / 1000).toFixed(0).padStart(8);
const pct = (micros: number) => `${((100 * micros) / busy).toFixed(1).padStart(5)}%`;
const perRequest = (micros: number) => (requests ? `${(micros / requests).toFixed(1).padStart(8)}` : '');
const table = (title: string, entries: Map<string, number>, skip: (key: string) => boolean = () => false) => {
  const rows = [...entries].filter(([k]) => !skip(k)).sort((a, b) => b[1] - a[1]).slice(0, top);
  const head = `      ms   % busy${requests ? '  µs/req' : ''}`;
  return [`${title}`, head, ...rows.map(([k, v]) => `${ms(v)} ${pct(v)}${perRequest(v)}  ${k}`), ''].join('\n');
};

process.stdout.write([
  `${positionals[0]}`,
  `sampled ${ms(total).trim()} ms, idle ${ms(idle).trim()} ms, busy ${ms(busy).trim()} ms (percentages are of busy time)` +
    (requests ? `; ${requests} requests, ${(busy / requests).toFixed(1)} µs busy per request` : ''),
  '',
  table(`top ${top} functions by self time`, selfByFunction),
  table('self time by package', selfByPackage),
  // Roots and plumbing hold nearly everything inclusively; leave them out so the list says something.
  table(`top ${top} functions by inclusive time (stack contains the function)`, inclusive, (k) => /^\((root|program)\)$/.test(k) || k.startsWith('processTicksAndRejections') || k.startsWith('(anonymous)  node:')),
  ...[...callers].map(([name, byCaller]) => table(`self time of ${name}, by caller (nearest first)`, byCaller)),
].join('\n'));
