import assert from 'node:assert/strict';

import { API_SCOPES } from '../../src/domain/management/api-scopes.js';
import { ensureManagementApiResource } from '../../src/domain/management/management-api-resource.js';
import { createFakeStorage } from '../fakes/fake-storage.js';
import { createSeeder } from '../fakes/seed.js';

const uri = 'https://gatehouse.example/api';

describe('unit: management API resource', () => {
  it('registers the management API as a resource offering every API scope', async () => {
    const { repos } = createFakeStorage();
    await ensureManagementApiResource(repos.resources, uri);
    const resource = await repos.resources.find(uri);
    assert.deepEqual(resource, { uri, name: 'Gatehouse management API', accessTokenTtl: 300, scopes: Object.keys(API_SCOPES), roles: [] });
  });

  it('brings stale scopes up to date, keeping the operator\'s token lifetime and roles', async () => {
    const storage = createFakeStorage();
    createSeeder(storage).resource({ uri, accessTokenTtl: 60, scopes: ['users:read'], roles: ['auditor'] });
    await ensureManagementApiResource(storage.repos.resources, uri);
    const resource = await storage.repos.resources.find(uri);
    assert.deepEqual([resource!.accessTokenTtl, resource!.roles, resource!.scopes], [60, ['auditor'], Object.keys(API_SCOPES)]);
  });

  it('leaves an up-to-date resource untouched', async () => {
    const storage = createFakeStorage();
    createSeeder(storage).resource({ uri, scopes: Object.keys(API_SCOPES) });
    const stamped = storage.state.resources[0]!.updatedAt;
    storage.clock.advance(1000);
    await ensureManagementApiResource(storage.repos.resources, uri);
    assert.deepEqual(storage.state.resources[0]!.updatedAt, stamped);
  });
});
