import assert from 'node:assert/strict';

import { createTokenIssuanceCounter } from '../../src/domain/management/token-issuance.js';
import type { TokenCount } from '../../src/domain/ports/token-count-repository.js';

const HOUR_MS = 3_600_000;

function setup() {
  const written: TokenCount[][] = [];
  const errors: unknown[] = [];
  let failing = false;
  const counter = createTokenIssuanceCounter({
    repository: {
      async add(counts) {
        if (failing) throw new Error('database down');
        written.push([...counts]);
      },
    },
    onError: (error) => void errors.push(error),
  });
  return { counter, written, errors, fail: (on: boolean) => { failing = on; } };
}

describe('unit: token issuance counter', () => {
  it('adds up tokens per client and hour in memory and writes them in one batch on flush', async () => {
    const { counter, written } = setup();
    const before = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
    counter.count('portal');
    counter.count('portal');
    counter.count('svc:with:colons');
    await counter.flush();
    const after = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
    assert.equal(written.length, 1);
    assert.deepEqual(written[0]!.map((c) => [c.clientId, c.count]).sort(), [['portal', 2], ['svc:with:colons', 1]]);
    assert.ok(written[0]!.every((c) => c.hour.getTime() === before || c.hour.getTime() === after), 'counted in the current hour bucket');
  });

  it('writes nothing when nothing is pending', async () => {
    const { counter, written } = setup();
    await counter.flush();
    assert.equal(written.length, 0);
  });

  it('keeps a failed flush\'s counts for the next one and reports the failure', async () => {
    const { counter, written, errors, fail } = setup();
    counter.count('portal');
    fail(true);
    await counter.flush();
    assert.equal(errors.length, 1);
    counter.count('portal');
    fail(false);
    await counter.flush();
    assert.deepEqual(written.map((batch) => batch.map((c) => c.count)), [[2]]);
  });

  it('flushes once more when stopped', async () => {
    const { counter, written } = setup();
    const stop = counter.start();
    counter.count('portal');
    await stop();
    assert.deepEqual(written.flat().map((c) => c.count), [1]);
  });
});
