import assert from 'node:assert/strict';

import { RESOURCE_SCOPES_PROPERTY, RESOURCES_PROPERTY } from '../../src/domain/client-metadata.js';
import { ConflictError, NotFoundError, ValidationError } from '../../src/domain/errors.js';
import { createResourceManagement } from '../../src/domain/management/resource-management.js';
import { createManagementFixture, origin, refused } from '../fakes/management-fixture.js';

const api = 'https://cases.example';
const managed = 'https://gatehouse.example/api';

function setup() {
  const fixture = createManagementFixture();
  const resources = createResourceManagement({ resources: fixture.repos.resources, clients: fixture.repos.clients, change: fixture.change, apiResource: managed });
  const { seed } = fixture;
  seed.resource({ uri: api, name: 'Cases', scopes: ['cases:read', 'cases:write'], roles: ['reader', 'editor'] });
  seed.resource({ uri: managed, scopes: ['users:read'] });
  seed.user({ username: 'bob' });
  return { ...fixture, resources };
}

describe('unit: resource management', () => {
  it('creates a resource with a 300 s token lifetime by default and records it; a taken URI is a conflict', async () => {
    const { resources, actions } = setup();
    const created = await resources.create(origin, { uri: 'https://new.example', name: 'New' });
    assert.deepEqual([created.accessTokenTtl, created.scopes, created.roles], [300, [], []]);
    await refused(resources.create(origin, { uri: api, name: 'Again' }), ConflictError, 'uri');
    assert.deepEqual(actions(), ['resource.created']);
  });

  it('refuses OpenID Connect scopes as resource scopes, pointing at each', async () => {
    const { resources } = setup();
    await refused(resources.create(origin, { uri: 'https://new.example', name: 'N', scopes: ['ok', 'openid'] }), ValidationError, 'scopes.1');
    await refused(resources.update(origin, api, { scopes: ['email'] }), ValidationError, 'scopes.0');
  });

  it('keeps the management API resource to Gatehouse: no change, no delete', async () => {
    const { resources, state } = setup();
    await refused(resources.update(origin, managed, { name: 'Mine' }), ConflictError, 'resourceUri');
    await refused(resources.remove(origin, managed), ConflictError, 'resourceUri');
    assert.equal(state.audit.length, 0);
  });

  it('refuses dropping a role from the catalogue while it is assigned, naming how often', async () => {
    const { resources, seed, state } = setup();
    seed.role({ principalId: 'u-bob', resourceUri: api, role: 'editor' });
    seed.role({ principalType: 'client', principalId: 'svc', resourceUri: api, role: 'editor' });
    const error = await refused(resources.update(origin, api, { roles: ['reader'] }), ConflictError, 'roles');
    assert.match(JSON.stringify(error.fields), /editor \(2\)/);
    assert.deepEqual(state.resources[0]!.roles, ['reader', 'editor']);
    const after = await resources.update(origin, api, { roles: ['editor', 'owner'] });
    assert.deepEqual(after.roles, ['editor', 'owner']);
  });

  it('refuses dropping a scope a client is still granted, naming the client', async () => {
    const { resources, seed } = setup();
    seed.client({ client_id: 'portal', [RESOURCES_PROPERTY]: [api], [RESOURCE_SCOPES_PROPERTY]: ['cases:write'] });
    seed.client({ client_id: 'reader-app', [RESOURCES_PROPERTY]: [api], [RESOURCE_SCOPES_PROPERTY]: ['cases:read'] });
    const error = await refused(resources.update(origin, api, { scopes: ['cases:read'] }), ConflictError, 'scopes');
    assert.deepEqual(error.details!.clients, ['portal']);
  });

  it('records a change with before and after; an unknown resource is not found', async () => {
    const { resources, state } = setup();
    const after = await resources.update(origin, api, { name: 'Case files', accessTokenTtl: 60 });
    assert.deepEqual([after.name, after.accessTokenTtl, after.scopes], ['Case files', 60, ['cases:read', 'cases:write']]);
    assert.deepEqual([(state.audit[0]!.details.before as { name: string }).name, (state.audit[0]!.details.after as { name: string }).name], ['Cases', 'Case files']);
    await refused(resources.update(origin, 'https://nope.example', { name: 'x' }), NotFoundError);
  });

  it('refuses deleting a resource clients still list, naming them', async () => {
    const { resources, seed, state } = setup();
    seed.client({ client_id: 'portal', [RESOURCES_PROPERTY]: [api] });
    const error = await refused(resources.remove(origin, api), ConflictError, 'resourceUri');
    assert.deepEqual(error.details!.clients, ['portal']);
    assert.equal(state.resources.length, 2);
  });

  it('deletes a resource with the roles held on it, recording how many went', async () => {
    const { resources, seed, state } = setup();
    seed.role({ principalId: 'u-bob', resourceUri: api, role: 'reader' });
    await resources.remove(origin, api);
    assert.equal(state.roles.length, 0);
    assert.deepEqual(state.audit[0]!.details.removedRoleAssignments, { reader: 1 });
    await refused(resources.remove(origin, api), NotFoundError);
  });

  it('lists by URI with the total, filtered by name or URI', async () => {
    const { resources } = setup();
    const page = await resources.list({}, { limit: 1, offset: 0 });
    assert.deepEqual([page.items.map((r) => r.uri), page.total], [[api], 2]);
    assert.deepEqual((await resources.list({ q: 'CASES' }, { limit: 10, offset: 0 })).items.map((r) => r.uri), [api]);
    assert.equal((await resources.get(api)).name, 'Cases');
  });
});
