import assert from 'node:assert/strict';

import { ConflictError, MissingReferenceError, NotFoundError } from '../../src/domain/errors.js';
import { createLabManagement } from '../../src/domain/management/lab-management.js';
import { createManagementFixture, origin, refused } from '../fakes/management-fixture.js';

function setup() {
  const fixture = createManagementFixture();
  const labs = createLabManagement({ labs: fixture.repos.labs, change: fixture.change });
  const { seed } = fixture;
  seed.lab('lab-a', { name: 'Alpha' });
  seed.lab('lab-b', { name: 'Beta' });
  seed.user({ username: 'root', isAdmin: true });
  seed.user({ username: 'bob' });
  seed.member('lab-a', 'u-bob');
  seed.user({ username: 'carol' });
  seed.member('lab-b', 'u-carol');
  seed.user({ username: 'dave' });
  return { ...fixture, labs };
}

describe('unit: lab management', () => {
  it('creates a lab and records it; a taken id is a conflict on #/body/id with nothing recorded', async () => {
    const { labs, actions } = setup();
    const created = await labs.create(origin, { id: 'lab-c', name: 'Gamma' });
    assert.deepEqual([created.id, created.name, created.status, created.memberCount], ['lab-c', 'Gamma', 'active', 0]);
    await refused(labs.create(origin, { id: 'lab-a', name: 'Again' }), ConflictError, 'id');
    assert.deepEqual(actions(), ['lab.created']);
  });

  it('gives a lab without an id a generated lab_ id', async () => {
    const { labs } = setup();
    assert.match((await labs.create(origin, { name: 'Anon' })).id, /^lab_[0-9a-f-]{36}$/);
  });

  it('names the audit action by what changed: suspended, reactivated or updated', async () => {
    const { labs, actions, state } = setup();
    await labs.update(origin, 'lab-a', { status: 'suspended' });
    await labs.update(origin, 'lab-a', { status: 'active' });
    await labs.update(origin, 'lab-a', { name: 'Alpha 2' });
    assert.deepEqual(actions(), ['lab.suspended', 'lab.reactivated', 'lab.updated']);
    assert.deepEqual([(state.audit[2]!.details.before as { name: string }).name, (state.audit[2]!.details.after as { name: string }).name], ['Alpha', 'Alpha 2']);
    await refused(labs.update(origin, 'lab-x', { name: 'x' }), NotFoundError);
  });

  it('deletes a lab with its memberships; an unknown lab is not found', async () => {
    const { labs, state, actions } = setup();
    await labs.remove(origin, 'lab-a');
    assert.ok(!state.labs.some((l) => l.id === 'lab-a'));
    assert.ok(!state.members.some((m) => m.labId === 'lab-a'));
    await refused(labs.remove(origin, 'lab-a'), NotFoundError);
    assert.deepEqual(actions(), ['lab.deleted']);
  });

  it('shows a lab admin their own lab only, answering others as not found', async () => {
    const { labs } = setup();
    const page = await labs.list({}, { limit: 10, offset: 0 }, 'lab-a');
    assert.deepEqual(page, { items: [await labs.findLab('lab-a')], total: 1 });
    await refused(labs.findLab('lab-b', 'lab-a'), NotFoundError);
    await refused(labs.listMembers('lab-b', {}, { limit: 10, offset: 0 }, 'lab-a'), NotFoundError);
    assert.deepEqual((await labs.list({ q: 'ET' }, { limit: 10, offset: 0 })).items.map((l) => l.id), ['lab-b']);
  });

  it('adds a member and records it; adding them again is a conflict on #/body/userId', async () => {
    const { labs, actions } = setup();
    const member = await labs.addMember(origin, 'lab-a', { userId: 'u-dave', role: 'viewer' });
    assert.deepEqual([member.username, member.role, member.status], ['dave', 'viewer', 'active']);
    await refused(labs.addMember(origin, 'lab-a', { userId: 'u-dave', role: 'viewer' }), ConflictError, 'userId');
    await refused(labs.addMember(origin, 'lab-a', { userId: 'u-nobody', role: 'viewer' }), NotFoundError);
    assert.deepEqual(actions(), ['member.added']);
  });

  it('lets a lab admin add only accounts that belong to no lab, answering a platform admin or another lab\'s member as unknown', async () => {
    const { labs } = setup();
    await refused(labs.addMember(origin, 'lab-a', { userId: 'u-root', role: 'member' }, 'lab-a'), NotFoundError);
    await refused(labs.addMember(origin, 'lab-a', { userId: 'u-carol', role: 'member' }, 'lab-a'), NotFoundError);
    await refused(labs.addMember(origin, 'lab-b', { userId: 'u-dave', role: 'member' }, 'lab-a'), NotFoundError);
    assert.equal((await labs.addMember(origin, 'lab-a', { userId: 'u-dave', role: 'member' }, 'lab-a')).labId, 'lab-a');
  });

  it('passes on a MissingReferenceError (the lab deleted meanwhile) and records nothing', async () => {
    const { labs, storage, state } = setup();
    storage.failNext('labs.insertMember', new MissingReferenceError());
    await refused(labs.addMember(origin, 'lab-a', { userId: 'u-dave', role: 'member' }), MissingReferenceError);
    assert.equal(state.audit.length, 0);
  });

  it('changes and removes a member with before and after on record; a missing member is not found', async () => {
    const { labs, state, actions } = setup();
    const after = await labs.updateMember(origin, 'lab-a', 'u-bob', { status: 'suspended' });
    assert.equal(after.status, 'suspended');
    assert.equal((state.audit[0]!.details.before as { status: string }).status, 'active');
    await labs.removeMember(origin, 'lab-a', 'u-bob');
    await refused(labs.findMember('lab-a', 'u-bob'), NotFoundError);
    await refused(labs.updateMember(origin, 'lab-a', 'u-bob', { role: 'viewer' }), NotFoundError);
    await refused(labs.removeMember(origin, 'lab-a', 'u-bob'), NotFoundError);
    assert.deepEqual(actions(), ['member.updated', 'member.removed']);
  });

  it('lists members in username order with the total, filtered by role', async () => {
    const { labs, seed } = setup();
    seed.user({ username: 'aaron' });
    seed.member('lab-a', 'u-aaron', { role: 'admin' });
    const all = await labs.listMembers('lab-a', {}, { limit: 1, offset: 0 });
    assert.deepEqual([all.items.map((m) => m.username), all.total], [['aaron'], 2]);
    assert.deepEqual((await labs.listMembers('lab-a', { role: 'member' }, { limit: 10, offset: 0 })).items.map((m) => m.userId), ['u-bob']);
  });
});
