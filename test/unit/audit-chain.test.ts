import assert from 'node:assert/strict';

import { chainHash, createChainVerifier, GENESIS_HASH, type AuditEntry, type ChainedAuditEntry } from '../../src/domain/audit/audit-chain.js';
import { createFakeAuditRepository } from '../fakes/fake-audit-repository.js';
import { emptyState } from '../fakes/fake-state.js';

const entry = (n: number): AuditEntry => ({ at: new Date(Date.UTC(2030, 0, 1, 0, 0, n)), actor: 'user:root', action: 'user.updated', target: `user:u-${n}`, details: { n, nested: { b: 2, a: 1 } } });

async function chain(rows = 4): Promise<ChainedAuditEntry[]> {
  const state = emptyState();
  const audit = createFakeAuditRepository(state);
  for (let i = 1; i <= rows; i += 1) await audit.append(entry(i));
  const all: ChainedAuditEntry[] = [];
  for await (const row of audit.all()) all.push(row);
  return all;
}

function verify(rows: ChainedAuditEntry[]) {
  const verifier = createChainVerifier();
  rows.forEach((row) => verifier.add(row));
  return verifier.result();
}

describe('unit: audit chain', () => {
  it('links the first row to the genesis hash and each later one to its predecessor', async () => {
    const rows = await chain();
    assert.equal(rows[0]!.prevHash, GENESIS_HASH);
    rows.slice(1).forEach((row, i) => assert.equal(row.prevHash, rows[i]!.hash));
    assert.deepEqual(verify(rows), { ok: true, rows: 4 });
  });

  it('hashes canonical JSON: the order of keys in details does not matter, their values do', () => {
    const base = entry(1);
    assert.equal(chainHash(GENESIS_HASH, base), chainHash(GENESIS_HASH, { ...base, details: { nested: { a: 1, b: 2 }, n: 1 } }));
    assert.notEqual(chainHash(GENESIS_HASH, base), chainHash(GENESIS_HASH, { ...base, details: { ...base.details, n: 2 } }));
    assert.notEqual(chainHash(GENESIS_HASH, base), chainHash('f'.repeat(64), base));
  });

  it('detects an edited row as content that no longer matches its hash', async () => {
    const rows = await chain();
    rows[2] = { ...rows[2]!, details: { n: 99 } };
    assert.deepEqual(verify(rows), { ok: false, rows: 3, brokenAt: 3, reason: 'content does not match its hash (the row was edited)' });
  });

  it('detects an edit disguised by recomputing that row\'s hash, at the next row', async () => {
    const rows = await chain();
    const edited = { ...rows[1]!, actor: 'user:someone-else' };
    rows[1] = { ...edited, hash: chainHash(edited.prevHash, edited) };
    const result = verify(rows);
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.brokenAt, 3);
    assert.match(!result.ok ? result.reason : '', /prev_hash/);
  });

  it('detects a removed row and a removed first row', async () => {
    const rows = await chain();
    const middle = verify([rows[0]!, rows[1]!, rows[3]!]);
    assert.deepEqual(!middle.ok && [middle.brokenAt, middle.rows], [4, 3]);
    const first = verify(rows.slice(1));
    assert.deepEqual(!first.ok && first.brokenAt, 2);
  });

  it('detects rows swapped in order', async () => {
    const rows = await chain();
    assert.equal(verify([rows[0]!, rows[2]!, rows[1]!, rows[3]!]).ok, false);
  });

  it('reports an empty log as intact', () => {
    assert.deepEqual(verify([]), { ok: true, rows: 0 });
  });
});
