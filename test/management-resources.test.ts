import { strict as assert } from 'node:assert';

import { decodeJwt } from 'jose';

import { CMS, mode, postForm, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { api, directoryService, lena, opsService, personToken, serviceToken } from './helpers/management-api.js';

const path = (uri: string) => `/resources/${encodeURIComponent(uri)}`;

describe(`management API: resources (${mode})`, () => {
  let gh: TestGatehouse;
  let ops: string;
  before(async () => {
    gh = await startTestGatehouse();
    ops = await serviceToken(gh.issuer, opsService);
  });
  after(async () => gh?.stop());

  it('creates, reads, changes and deletes a resource; a client of it gets tokens with its audience and lifetime; every change is audited', async () => {
    const uri = 'https://lims.example/api';
    const created = await api(gh.issuer, ops, 'POST', '/resources', { uri, name: 'LIMS', accessTokenTtl: 120, scopes: ['samples:read', 'samples:write'], roles: ['analyst'] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.headers.get('location'), `/api/v1/resources/${encodeURIComponent(uri)}`);
    assert.deepEqual([created.body.uri, created.body.accessTokenTtl, created.body.scopes], [uri, 120, ['samples:read', 'samples:write']]);
    assert.equal((await api(gh.issuer, ops, 'POST', '/resources', { uri, name: 'Again' })).status, 409);

    const read = await api(gh.issuer, ops, 'GET', path(uri));
    assert.equal(read.status, 200);
    assert.equal(read.body.name, 'LIMS');
    const defaults = await api(gh.issuer, ops, 'POST', '/resources', { uri: 'https://plain.example', name: 'Plain' });
    assert.deepEqual([defaults.body.accessTokenTtl, defaults.body.scopes, defaults.body.roles], [300, [], []]);

    const client = await api(gh.issuer, ops, 'POST', '/clients', { clientId: 'lims-sync', grantTypes: ['client_credentials'], resources: [uri], scope: 'samples:read' });
    assert.equal(client.status, 201, JSON.stringify(client.body));
    const token = await postForm(`${gh.issuer}/token`, { grant_type: 'client_credentials', resource: uri, scope: 'samples:read' }, { id: 'lims-sync', secret: client.body.clientSecret });
    assert.equal(token.status, 200, JSON.stringify(token.body));
    const claims = decodeJwt(token.body.access_token as string);
    assert.equal(claims.aud, uri);
    assert.equal(claims.exp! - claims.iat!, 120);

    const changed = await api(gh.issuer, ops, 'PATCH', path(uri), { name: 'LIMS v2', accessTokenTtl: 600, roles: ['analyst', 'reviewer'] });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.deepEqual([changed.body.name, changed.body.accessTokenTtl, changed.body.roles], ['LIMS v2', 600, ['analyst', 'reviewer']]);
    assert.deepEqual(changed.body.scopes, ['samples:read', 'samples:write'], 'fields not given stay');

    const listed = await api(gh.issuer, ops, 'DELETE', path(uri));
    assert.equal(listed.status, 409, 'a resource clients still list is not deleted');
    assert.deepEqual(listed.body.clients, ['lims-sync']);
    assert.match(listed.body.detail, /lims-sync/);
    // The use case names its field (resourceUri); the API says it travelled in the path.
    assert.deepEqual(listed.body.errors, [{ pointer: '#/params/resourceUri', detail: 'is listed by 1 client(s)' }]);
    assert.equal((await api(gh.issuer, ops, 'PATCH', '/clients/lims-sync', { resources: [CMS], scope: 'cases:read' })).status, 200);
    assert.equal((await api(gh.issuer, ops, 'DELETE', path(uri))).status, 204);
    assert.equal((await api(gh.issuer, ops, 'GET', path(uri))).status, 404);
    assert.equal((await api(gh.issuer, ops, 'DELETE', path(uri))).status, 404);

    const rows = await gh.gatehouse.storage.db('audit_log').select('action', 'details').where('target', `resource:${uri}`).orderBy('id');
    assert.deepEqual(rows.map((r: { action: string }) => r.action), ['resource.created', 'resource.updated', 'resource.deleted']);
    const details = typeof rows[1].details === 'string' ? JSON.parse(rows[1].details) : rows[1].details;
    assert.deepEqual([details.before.name, details.after.name], ['LIMS', 'LIMS v2']);
  });

  it('lists resources by URI with a total and a filter', async () => {
    const all = await api(gh.issuer, ops, 'GET', '/resources?limit=2');
    assert.equal(all.status, 200);
    assert.ok(all.body.total >= 3);
    const uris = all.body.items.map((r: { uri: string }) => r.uri);
    assert.deepEqual(uris, [...uris].sort());
    const filtered = await api(gh.issuer, ops, 'GET', '/resources?q=ticket');
    assert.deepEqual(filtered.body.items.map((r: { uri: string }) => r.uri), ['https://tts.example']);
  });

  it('refuses invalid resources with pointers, a role or scope still in use being dropped, and any change to the management API resource', async () => {
    const bad = await api(gh.issuer, ops, 'POST', '/resources', { uri: 'not a uri', name: '', accessTokenTtl: 5 });
    assert.equal(bad.status, 400);
    assert.deepEqual([...new Set(bad.body.errors.map((e: { pointer: string }) => e.pointer))].sort(), ['#/body/accessTokenTtl', '#/body/name', '#/body/uri']);
    const fragment = await api(gh.issuer, ops, 'POST', '/resources', { uri: 'https://x.example/#f', name: 'X' });
    assert.equal(fragment.status, 400);
    const oidc = await api(gh.issuer, ops, 'POST', '/resources', { uri: 'https://x.example', name: 'X', scopes: ['read', 'openid'] });
    assert.deepEqual([oidc.status, oidc.body.errors[0].pointer], [400, '#/body/scopes/1']);
    assert.equal((await api(gh.issuer, ops, 'GET', `/resources/${encodeURIComponent('not a uri')}`)).status, 400);

    const held = await api(gh.issuer, ops, 'PATCH', path(CMS), { roles: ['manager'] });
    assert.equal(held.status, 409, 'john holds technician on the CMS');
    assert.equal(held.body.errors[0].pointer, '#/body/roles');
    assert.match(held.body.errors[0].detail, /technician/);
    const granted = await api(gh.issuer, ops, 'PATCH', path(CMS), { scopes: ['cases:write'] });
    assert.equal(granted.status, 409, 'portal and cms-backend are granted cases:read');
    assert.ok(['cms-backend', 'portal'].every((c) => granted.body.clients.includes(c)), JSON.stringify(granted.body));
    assert.equal((await api(gh.issuer, ops, 'PATCH', '/clients/portal', { clientName: 'Portal' })).status, 200, 'the clients stay editable');

    const apiResource = `${gh.issuer}/api`;
    assert.equal((await api(gh.issuer, ops, 'GET', path(apiResource))).status, 200);
    for (const [method, body] of [['PATCH', { accessTokenTtl: 86400 }], ['DELETE', undefined]] as const) {
      const refused = await api(gh.issuer, ops, method, path(apiResource), body);
      assert.equal(refused.status, 409, method);
      assert.match(refused.body.detail, /management API resource/);
      assert.deepEqual(refused.body.errors, [{ pointer: '#/params/resourceUri', detail: 'is the management API resource' }]);
      // Another conflict, another detail, the same title: it belongs to the type.
      assert.deepEqual([refused.body.type, refused.body.title], [held.body.type, held.body.title]);
      assert.notEqual(refused.body.detail, held.body.detail);
    }
  });

  it('a service without clients:write cannot change resources; a lab admin cannot even read them', async () => {
    const reader = await serviceToken(gh.issuer, directoryService, 'users:read labs:read');
    for (const [method, p, body] of [['GET', '/resources', undefined], ['POST', '/resources', { uri: 'https://y.example', name: 'Y' }], ['PATCH', path(CMS), { name: 'Y' }], ['DELETE', path(CMS), undefined]] as const) {
      assert.equal((await api(gh.issuer, reader, method, p, body)).status, 403, `${method} ${p}`);
    }
    const lenaToken = await personToken(gh.issuer, lena, { lab: 'lab-1' });
    assert.equal((await api(gh.issuer, lenaToken, 'GET', '/resources')).status, 403);
    assert.equal((await api(gh.issuer, lenaToken, 'GET', path(CMS))).status, 403);
    assert.equal((await api(gh.issuer, lenaToken, 'POST', '/resources', { uri: 'https://y.example', name: 'Y' })).status, 403);
    assert.equal((await api(gh.issuer, ops, 'GET', path(CMS))).body.name, 'Case service', 'unchanged');
  });
});
