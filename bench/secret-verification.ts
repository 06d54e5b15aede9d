import { performance } from 'node:perf_hooks';

import { generateClientSecret, hashClientSecret, verifyClientSecret } from '../src/domain/clients/client-secret.js';
import { createPasswordHasher } from '../src/domain/users/password-hasher.js';

/**
 * What one client-secret check costs with SHA-256 (as Gatehouse stores client secrets) and what
 * it would cost with argon2id (as it stores passwords): the figures in docs/CLIENT-SECRETS.md.
 *   node dist/bench/secret-verification.js
 */
const secret = generateClientSecret();
const hashes = [{ hash: hashClientSecret(generateClientSecret()), createdAt: new Date().toISOString() }, { hash: hashClientSecret(secret), createdAt: new Date().toISOString() }];
const rounds = 100_000;
for (let i = 0; i < 1000; i += 1) verifyClientSecret(secret, hashes);
let started = performance.now();
for (let i = 0; i < rounds; i += 1) if (!verifyClientSecret(secret, hashes)) throw new Error('secret not accepted');
const sha = ((performance.now() - started) * 1000) / rounds;

const hasher = createPasswordHasher();
const stored = await hasher.hash(secret);
await hasher.verify(stored, secret);
const argonRounds = 20;
started = performance.now();
for (let i = 0; i < argonRounds; i += 1) if (!(await hasher.verify(stored, secret))) throw new Error('secret not accepted');
const argon = (performance.now() - started) / argonRounds;

process.stdout.write(`SHA-256 against two stored hashes: ${sha.toFixed(2)} µs per check (${rounds} checks)\n`);
process.stdout.write(`argon2id (Gatehouse's password settings): ${argon.toFixed(1)} ms per check (${argonRounds} checks), ≈ ${Math.floor(1000 / argon)} per second per core\n`);
