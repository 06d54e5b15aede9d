import assert from 'node:assert/strict';

import { NotFoundError, ValidationError } from '../../src/domain/errors.js';
import { createRoleManagement } from '../../src/domain/management/role-management.js';
import { createManagementFixture, origin, refused } from '../fakes/management-fixture.js';

const api = 'https://cases.example';

function setup() {
  const fixture = createManagementFixture();
  const roles = createRoleManagement({ repos: fixture.repos, change: fixture.change });
  const { seed } = fixture;
  seed.lab('lab-a');
  seed.lab('lab-b');
  seed.user({ username: 'bob' });
  seed.member('lab-a', 'u-bob');
  seed.user({ username: 'carol' });
  seed.member('lab-b', 'u-carol');
  seed.resource({ uri: api, roles: ['reader', 'editor'] });
  seed.resource({ uri: 'https://plain.example' });
  seed.client({ client_id: 'svc' });
  return { ...fixture, roles };
}

describe('unit: role management', () => {
  it('grants a role from the catalogue once: a repeat is idempotent and records nothing', async () => {
    const { roles, actions, state } = setup();
    assert.deepEqual(await roles.grantToUser(origin, 'u-bob', { resource: api, role: 'reader' }), { role: { resource: api, role: 'reader' }, created: true });
    assert.deepEqual(await roles.grantToUser(origin, 'u-bob', { resource: api, role: 'reader' }), { role: { resource: api, role: 'reader' }, created: false });
    assert.deepEqual(actions(), ['role.granted']);
    assert.equal(state.audit[0]!.target, 'user:u-bob');
  });

  it('refuses an unknown resource, a role not in its catalogue (listing the known ones) and an unknown lab', async () => {
    const { roles, state } = setup();
    await refused(roles.grantToUser(origin, 'u-bob', { resource: 'https://nope.example', role: 'reader' }), ValidationError, 'resource');
    const error = await refused(roles.grantToUser(origin, 'u-bob', { resource: api, role: 'owner' }), ValidationError, 'role');
    assert.match((error as ValidationError).fields[0]!.detail, /one of "reader", "editor"/);
    const none = await refused(roles.grantToUser(origin, 'u-bob', { resource: 'https://plain.example', role: 'x' }), ValidationError, 'role');
    assert.match((none as ValidationError).fields[0]!.detail, /defines no roles/);
    await refused(roles.grantToUser(origin, 'u-bob', { resource: api, role: 'reader', lab: 'lab-x' }), ValidationError, 'lab');
    assert.equal(state.roles.length + state.audit.length, 0);
  });

  it('limits a lab admin\'s grants to their lab: implied when left out, another lab refused as unknown', async () => {
    const { roles, state } = setup();
    assert.deepEqual((await roles.grantToUser(origin, 'u-bob', { resource: api, role: 'editor' }, 'lab-a')).role, { resource: api, role: 'editor', lab: 'lab-a' });
    await refused(roles.grantToUser(origin, 'u-bob', { resource: api, role: 'editor', lab: 'lab-b' }, 'lab-a'), ValidationError, 'lab');
    await refused(roles.grantToUser(origin, 'u-carol', { resource: api, role: 'editor' }, 'lab-a'), NotFoundError);
    assert.deepEqual(state.roles.map((r) => r.labId), ['lab-a']);
  });

  it('shows a lab admin only global roles and those of their lab, ordered by resource, role, lab', async () => {
    const { roles, seed } = setup();
    seed.role({ principalId: 'u-bob', resourceUri: api, role: 'reader', labId: 'lab-b' });
    seed.role({ principalId: 'u-bob', resourceUri: api, role: 'reader', labId: 'lab-a' });
    seed.role({ principalId: 'u-bob', resourceUri: api, role: 'editor' });
    assert.deepEqual(await roles.rolesOfUser('u-bob', 'lab-a'), [{ resource: api, role: 'editor' }, { resource: api, role: 'reader', lab: 'lab-a' }]);
    assert.equal((await roles.rolesOfUser('u-bob')).length, 3);
    await refused(roles.rolesOfUser('u-carol', 'lab-a'), NotFoundError);
  });

  it('withdraws a held role with a record; one not held is not found and records nothing', async () => {
    const { roles, seed, actions, state } = setup();
    seed.role({ principalId: 'u-bob', resourceUri: api, role: 'reader' });
    await refused(roles.withdrawFromUser(origin, 'u-bob', { resource: api, role: 'reader', lab: 'lab-a' }), NotFoundError);
    await roles.withdrawFromUser(origin, 'u-bob', { resource: api, role: 'reader' });
    assert.equal(state.roles.length, 0);
    assert.deepEqual(actions(), ['role.withdrawn']);
  });

  it('answers a lab admin withdrawing a global or another lab\'s role as a missing assignment', async () => {
    const { roles, seed, state } = setup();
    seed.role({ principalId: 'u-bob', resourceUri: api, role: 'reader', labId: 'lab-b' });
    await refused(roles.withdrawFromUser(origin, 'u-bob', { resource: api, role: 'reader', lab: 'lab-b' }, 'lab-a'), NotFoundError);
    assert.equal(state.roles.length, 1);
  });

  it('grants clients global roles only, and answers an unknown client as not found', async () => {
    const { roles, actions } = setup();
    assert.equal((await roles.grantToClient(origin, 'svc', { resource: api, role: 'reader' })).created, true);
    await refused(roles.grantToClient(origin, 'svc', { resource: api, role: 'reader', lab: 'lab-a' } as { resource: string; role: string }), ValidationError, 'lab');
    assert.deepEqual(await roles.rolesOfClient('svc'), [{ resource: api, role: 'reader' }]);
    await roles.withdrawFromClient(origin, 'svc', { resource: api, role: 'reader' });
    await refused(roles.rolesOfClient('nope'), NotFoundError);
    await refused(roles.grantToClient(origin, 'nope', { resource: api, role: 'reader' }), NotFoundError);
    await refused(roles.withdrawFromClient(origin, 'svc', { resource: api, role: 'reader' }), NotFoundError);
    assert.deepEqual(actions(), ['role.granted', 'role.withdrawn']);
  });
});
