import { parseArgs } from 'node:util';

import { createPasswordHasher } from '../src/domain/users/password-hasher.js';

/**
 * The argon2id verify ceiling of a password sign-in: a fresh Node process, set up like
 * Gatehouse's (same Node, same libuv thread pool, same hasher with the same parameters), doing
 * nothing but verifying the right password against one hash with `--connections` verifies in
 * flight for `--seconds`. bench/sign-in.ts runs it as one more scenario of each round, so a
 * password sign-in can be reported as a share of what argon2id alone allows on the machine at
 * that moment. Prints one JSON line: { verifies, seconds, cpuMs, systemCpuMs, rssMb } (rssMb: resident at the end).
 *
 *   node dist/bench/argon2-ceiling.js --seconds 5 --connections 10 --memory-kib 19456 --time-cost 2
 */
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '10' },
    'memory-kib': { type: 'string', default: '19456' },
    'time-cost': { type: 'string', default: '2' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const hasher = createPasswordHasher({ memoryCost: Number(values['memory-kib']), timeCost: Number(values['time-cost']), parallelism: 1 });
const password = 'bench-passphrase-2026';
const hash = await hasher.hash(password);
// One verify per connection first: the thread pool and argon2's memory are warm before the clock starts.
await Promise.all(Array.from({ length: connections }, () => hasher.verify(hash, password)));

let verifies = 0;
const cpuBefore = process.cpuUsage();
const started = performance.now();
const end = started + seconds * 1000;
await Promise.all(Array.from({ length: connections }, async () => {
  while (performance.now() < end) {
    if (!(await hasher.verify(hash, password))) throw new Error('argon2id verify failed');
    verifies++;
  }
}));
const elapsed = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
process.stdout.write(`${JSON.stringify({ verifies, seconds: elapsed, cpuMs: (cpu.user + cpu.system) / 1000, systemCpuMs: cpu.system / 1000, rssMb: Math.round(process.memoryUsage().rss / 1e6) })}\n`);
