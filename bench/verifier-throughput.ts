import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';

import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWTVerifyOptions } from 'jose';

import { createVerifier, type GatehouseClaims } from '@gatehouse/verifier';
import { createPositiveFlag } from './positive-flag.js';

/**
 * What gatehouse/verifier costs on top of jose: `verifier.verify` against a bare `jose.jwtVerify`
 * with a local key set and the same checks, in one process, in alternating rounds (the order
 * flips every round), so both see the same machine state. The verifier's discovery and JWKS come
 * from an in-memory fetch: after the first call neither side touches the network, as in
 * production between key refreshes. See docs/PERFORMANCE.md ("Verifier").
 */

const usage = `usage: node dist/bench/verifier-throughput.js [options]
  --duration S      seconds per measured round and side (default 0.5)
  --rounds N        measured rounds per side (default 20; short, many rounds pair both sides
                    more closely in time on a busy machine than a few long ones)
  --concurrency N   verifications in flight at once (default 1; RSA verification runs on the
                    libuv thread pool, so N > 1 measures throughput across cores)
  --warmup S        seconds of unmeasured work per side first (default 1)
  --tokens N        distinct tokens cycled through (default 1000)
  --help`;

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '0.5' },
    rounds: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '1' },
    warmup: { type: 'string', default: '1' },
    tokens: { type: 'string', default: '1000' },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}

const positive = createPositiveFlag('verifier-throughput', usage);

const durationMs = positive('duration', flags.duration, false) * 1000;
const rounds = positive('rounds', flags.rounds, true);
const concurrency = positive('concurrency', flags.concurrency, true);
const warmupMs = positive('warmup', flags.warmup, false) * 1000;
const tokenCount = positive('tokens', flags.tokens, true);

const issuer = 'https://id.bench.example';
const audience = 'https://cms.example';

// Gatehouse's real shape: RS256 with a 2048-bit key, at+jwt, a user token with lab claims.
const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'bench-1', alg: 'RS256', use: 'sig' }] };
const iat = Math.floor(Date.now() / 1000);
const tokens = await Promise.all(Array.from({ length: tokenCount }, () =>
  new SignJWT({ iss: issuer, aud: audience, sub: randomUUID(), client_id: 'portal', scope: 'cases:read cases:write', jti: randomUUID(), iat, exp: iat + 3600, lab_id: 'lab-1', lab_role: 'member', roles: ['technician'] })
    .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'bench-1' })
    .sign(privateKey)));

const memoryFetch: typeof fetch = async (input) => {
  const url = String(input);
  if (url === `${issuer}/.well-known/openid-configuration`) return Response.json({ issuer, jwks_uri: `${issuer}/jwks` });
  if (url === `${issuer}/jwks`) return Response.json(jwks);
  return new Response('not found', { status: 404 });
};

const verifier = createVerifier({ issuer, audience, fetch: memoryFetch });
const localKeys = createLocalJWKSet(jwks);
// The same checks the verifier makes, so the difference is the verifier's own work.
const joseOptions: JWTVerifyOptions = { issuer, audience, algorithms: ['RS256'], typ: 'at+jwt', clockTolerance: 5, requiredClaims: ['iss', 'aud', 'exp', 'iat', 'sub', 'client_id', 'jti'] };

type Side = 'verifier' | 'jose';
const sides: Record<Side, (token: string) => Promise<unknown>> = {
  verifier: (token) => verifier.verify(token),
  jose: (token) => jwtVerify(token, localKeys, joseOptions),
};

// Both must accept the same token with the same claims, or the comparison means nothing.
const viaVerifier: GatehouseClaims = await verifier.verify(tokens[0]!);
const viaJose = (await jwtVerify(tokens[0]!, localKeys, joseOptions)).payload;
if (viaVerifier.sub !== viaJose.sub || viaVerifier.lab_id !== viaJose.lab_id) throw new Error('verifier and jose disagree on the bench token');

interface Run { opsPerSecond: number; cpuMicrosPerOp: number }

/**
 * Runs `concurrency` loops for `ms`. Besides ops/s it returns this process's CPU time per
 * verification (main thread plus the libuv pool where WebCrypto verifies): other processes on the
 * machine slow the wall clock far more than they change that.
 */
async function run(side: Side, ms: number): Promise<Run> {
  const verify = sides[side];
  let done = 0;
  let next = 0;
  const until = performance.now() + ms;
  const worker = async () => {
    while (performance.now() < until) {
      await verify(tokens[next++ % tokens.length]!);
      done++;
    }
  };
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const cpu = process.cpuUsage(cpuBefore);
  return { opsPerSecond: (done * 1000) / (performance.now() - started), cpuMicrosPerOp: (cpu.user + cpu.system) / done };
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

process.stdout.write([
  `verifier-throughput: node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, loadavg ${loadavg().map((l) => fmt(l, 2)).join(' ')} at start`,
  `  ${rounds} rounds × ${durationMs / 1000} s per side, concurrency ${concurrency}, ${tokenCount} distinct RS256 tokens, warm-up ${warmupMs / 1000} s per side`,
  '',
].join('\n'));

for (const side of ['jose', 'verifier'] as const) process.stdout.write(`  warm-up  ${side.padEnd(8)} ${fmt((await run(side, warmupMs)).opsPerSecond).padStart(7)} ops/s (not counted)\n`);

const results: Record<Side, Run[]> = { verifier: [], jose: [] };
for (let round = 1; round <= rounds; round++) {
  const order: Side[] = round % 2 ? ['jose', 'verifier'] : ['verifier', 'jose'];
  const line: string[] = [];
  for (const side of order) {
    const result = await run(side, durationMs);
    results[side].push(result);
    line.push(`${side.padEnd(8)} ${fmt(result.opsPerSecond).padStart(7)} ops/s ${fmt(result.cpuMicrosPerOp, 1).padStart(6)} cpu µs/op`);
  }
  process.stdout.write(`  round ${String(round).padStart(2)}  ${line.join('   ')}\n`);
}

const opsOf = (side: Side) => median(results[side].map((r) => r.opsPerSecond));
const cpuOf = (side: Side) => median(results[side].map((r) => r.cpuMicrosPerOp));
// Each round's pair ran back to back, so the median of per-round ratios cancels most of the
// machine's drift; the spread of those ratios is the noise floor of this run.
const throughputPairs = results.jose.map((j, i) => ((j.opsPerSecond - results.verifier[i]!.opsPerSecond) / j.opsPerSecond) * 100).sort((a, b) => a - b);
const cpuPairs = results.jose.map((j, i) => ((results.verifier[i]!.cpuMicrosPerOp - j.cpuMicrosPerOp) / j.cpuMicrosPerOp) * 100).sort((a, b) => a - b);
const quartiles = (sorted: number[]) => `${fmt(sorted[Math.floor(sorted.length / 4)]!, 1)} … ${fmt(sorted[Math.floor((3 * sorted.length) / 4)]!, 1)}`;
process.stdout.write([
  '',
  `  median   jose.jwtVerify (local key set)  ${fmt(opsOf('jose')).padStart(7)} ops/s  ${fmt(cpuOf('jose'), 1)} cpu µs/op`,
  `  median   verifier.verify                 ${fmt(opsOf('verifier')).padStart(7)} ops/s  ${fmt(cpuOf('verifier'), 1)} cpu µs/op`,
  `  overhead throughput: ${fmt(median(throughputPairs), 1)} % (median of per-round pairs; interquartile ${quartiles(throughputPairs)} %)`,
  `           cpu per op: ${fmt(median(cpuPairs), 1)} % (interquartile ${quartiles(cpuPairs)} %); target: within 10 %`,
  `  loadavg  ${loadavg().map((l) => fmt(l, 2)).join(' ')} at end`,
  '',
].join('\n'));
