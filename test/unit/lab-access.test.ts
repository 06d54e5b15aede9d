import assert from 'node:assert/strict';

import { createLabAccess, LabAccessDenied } from '../../src/domain/tenancy/lab-access.js';
import { createFakeStorage } from '../fakes/fake-storage.js';
import { createSeeder } from '../fakes/seed.js';

const api = 'https://cases.example';

function setup() {
  const storage = createFakeStorage();
  const seed = createSeeder(storage);
  seed.lab('lab-a', { name: 'Alpha' });
  seed.lab('lab-b', { name: 'Beta' });
  seed.lab('lab-s', { name: 'Suspended', status: 'suspended' });
  seed.lab('lab-i', { name: 'Invited' });
  seed.user({ username: 'multi' });
  seed.member('lab-a', 'u-multi', { role: 'admin' });
  seed.member('lab-b', 'u-multi', { role: 'member' });
  seed.member('lab-s', 'u-multi');
  seed.member('lab-i', 'u-multi', { status: 'invited' });
  seed.user({ username: 'single' });
  seed.member('lab-a', 'u-single', { role: 'viewer' });
  seed.user({ username: 'none' });
  return { access: createLabAccess({ tenancy: storage.repos.tenancy }), storage, seed };
}

describe('unit: lab access (acting lab)', () => {
  it('counts only active memberships of active labs', async () => {
    const { access } = setup();
    assert.deepEqual(await access.activeLabs('u-multi'), [{ id: 'lab-a', name: 'Alpha', role: 'admin' }, { id: 'lab-b', name: 'Beta', role: 'member' }]);
    assert.equal(await access.activeMembership('u-multi', 'lab-s'), undefined);
    assert.equal(await access.activeMembership('u-multi', 'lab-i'), undefined);
  });

  it('records a lab choice the user may act in, and refuses one they may not', async () => {
    const { access } = setup();
    assert.deepEqual(await access.chooseLab('g1', 'u-multi', 'lab-b'), { labId: 'lab-b', role: 'member' });
    assert.equal(await access.recordedLab('g1'), 'lab-b');
    await assert.rejects(access.chooseLab('g2', 'u-multi', 'lab-s'), LabAccessDenied);
    await assert.rejects(access.chooseLab('g2', 'u-single', 'lab-b'), LabAccessDenied);
    assert.equal(await access.recordedLab('g2'), undefined);
  });

  it('acts in the recorded lab, else the only lab, else in none', async () => {
    const { access } = setup();
    await access.chooseLab('g1', 'u-multi', 'lab-a');
    assert.deepEqual(await access.actingLab('g1', 'u-multi'), { labId: 'lab-a', role: 'admin' });
    assert.deepEqual(await access.actingLab(undefined, 'u-single'), { labId: 'lab-a', role: 'viewer' });
    assert.equal(await access.actingLab(undefined, 'u-multi'), undefined);
    assert.equal(await access.actingLab('g-unrecorded', 'u-none'), undefined);
  });

  it('refuses a grant whose recorded lab was suspended, or whose membership was, since the choice', async () => {
    const { access, storage } = setup();
    await access.chooseLab('g1', 'u-multi', 'lab-a');
    await access.chooseLab('g2', 'u-multi', 'lab-b');
    await storage.repos.labs.update('lab-a', { status: 'suspended' });
    await storage.repos.labs.updateMember('lab-b', 'u-multi', { status: 'suspended' });
    await assert.rejects(access.actingLab('g1', 'u-multi'), LabAccessDenied);
    await assert.rejects(access.actingLab('g2', 'u-multi'), LabAccessDenied);
  });

  it('asks for a choice only when the user has several labs and none is recorded or the request names another', async () => {
    const { access } = setup();
    assert.equal(await access.needsChoice(undefined, 'u-multi', undefined), true);
    assert.equal(await access.needsChoice(undefined, 'u-single', undefined), false);
    await access.chooseLab('g1', 'u-multi', 'lab-a');
    assert.equal(await access.needsChoice('g1', 'u-multi', undefined), false);
    assert.equal(await access.needsChoice('g1', 'u-multi', 'lab-a'), false);
    assert.equal(await access.needsChoice('g1', 'u-multi', 'lab-b'), true);
  });

  it('gives roles on a resource held globally plus those limited to the acting lab, once each, sorted', async () => {
    const { access, seed } = setup();
    seed.resource({ uri: api, roles: ['reader', 'editor', 'owner'] });
    seed.role({ principalId: 'u-multi', resourceUri: api, role: 'reader' });
    seed.role({ principalId: 'u-multi', resourceUri: api, role: 'reader', labId: 'lab-a' });
    seed.role({ principalId: 'u-multi', resourceUri: api, role: 'editor', labId: 'lab-a' });
    seed.role({ principalId: 'u-multi', resourceUri: api, role: 'owner', labId: 'lab-b' });
    assert.deepEqual(await access.rolesOn('user', 'u-multi', api, 'lab-a'), ['editor', 'reader']);
    assert.deepEqual(await access.rolesOn('user', 'u-multi', api), ['reader']);
  });
});
