import assert from 'node:assert/strict';

import { createManagementFixture, origin } from '../fakes/management-fixture.js';

describe('unit: audited change', () => {
  it('writes exactly one audit row per change, stamped by the injected clock with the origin\'s actor, request id and ip', async () => {
    const { change, state, clock, seed } = createManagementFixture();
    seed.lab('lab-a');
    clock.advance(5_000);
    const result = await change(origin, async (repos, record) => {
      await repos.labs.update('lab-a', { name: 'Renamed' });
      await record('lab.updated', 'lab:lab-a', { before: { name: 'lab-a' }, after: { name: 'Renamed' } });
      return 'done';
    });
    assert.equal(result, 'done');
    assert.equal(state.audit.length, 1);
    const [row] = state.audit;
    assert.deepEqual(
      { at: row!.at, actor: row!.actor, action: row!.action, target: row!.target, requestId: row!.requestId, ip: row!.ip, details: row!.details },
      { at: clock.now(), actor: origin.actor, action: 'lab.updated', target: 'lab:lab-a', requestId: 'req-1', ip: '192.0.2.1', details: { before: { name: 'lab-a' }, after: { name: 'Renamed' } } },
    );
  });

  it('leaves neither the change nor its audit row when the work throws after both were written', async () => {
    const { change, state, seed } = createManagementFixture();
    seed.lab('lab-a');
    await assert.rejects(change(origin, async (repos, record) => {
      await repos.labs.update('lab-a', { name: 'Renamed' });
      await record('lab.updated', 'lab:lab-a');
      throw new Error('late failure');
    }), /late failure/);
    assert.equal(state.labs[0]!.name, 'lab-a');
    assert.equal(state.audit.length, 0);
  });

  it('undoes the change when its audit row cannot be written', async () => {
    const { change, state, seed, storage } = createManagementFixture();
    seed.lab('lab-a');
    storage.failNext('audit.append');
    await assert.rejects(change(origin, async (repos, record) => {
      await repos.labs.delete('lab-a');
      await record('lab.deleted', 'lab:lab-a');
    }), /injected failure/);
    assert.equal(state.labs.length, 1);
  });

  it('records nothing for a change that records nothing (an idempotent no-op)', async () => {
    const { change, state } = createManagementFixture();
    await change(origin, async () => undefined);
    assert.equal(state.audit.length, 0);
  });
});
