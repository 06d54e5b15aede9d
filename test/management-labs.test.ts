import { strict as assert } from 'node:assert';

import { CMS, mode, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { userTokens } from './helpers/user-tokens.js';
import { api, directoryService, lena, opsService, otto, personToken, root, serviceToken } from './helpers/management-api.js';

describe(`management API: labs and members (${mode})`, () => {
  let gh: TestGatehouse;
  let ops: string;
  before(async () => {
    gh = await startTestGatehouse();
    ops = await serviceToken(gh.issuer, opsService);
  });
  after(async () => gh?.stop());

  it('a service with labs:write creates, renames, suspends and deletes a lab; each change is audited with before and after', async () => {
    const created = await api(gh.issuer, ops, 'POST', '/labs', { id: 'lab-new', name: 'New Lab' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.name, 'New Lab');
    assert.equal(created.headers.get('location'), '/api/v1/labs/lab-new');
    assert.equal((await api(gh.issuer, ops, 'POST', '/labs', { id: 'lab-new', name: 'Again' })).status, 409);

    const renamed = await api(gh.issuer, ops, 'PATCH', '/labs/lab-new', { name: 'Renamed Lab', status: 'suspended' });
    assert.equal(renamed.status, 200);
    assert.deepEqual([renamed.body.name, renamed.body.status], ['Renamed Lab', 'suspended']);

    assert.equal((await api(gh.issuer, ops, 'DELETE', '/labs/lab-new')).status, 204);
    assert.equal((await api(gh.issuer, ops, 'GET', '/labs/lab-new')).status, 404);

    const rows = await gh.gatehouse.storage.db('audit_log').select('action', 'actor', 'details').where('target', 'lab:lab-new').orderBy('id');
    assert.deepEqual(rows.map((r: { action: string }) => r.action), ['lab.created', 'lab.suspended', 'lab.deleted']);
    assert.equal(rows[1].actor, 'client:ops-service');
    const details = typeof rows[1].details === 'string' ? JSON.parse(rows[1].details) : rows[1].details;
    assert.equal(details.before.name, 'New Lab');
    assert.equal(details.after.name, 'Renamed Lab');
  });

  it('lists labs with a total, a stable order and filters', async () => {
    const all = await api(gh.issuer, ops, 'GET', '/labs?limit=2');
    assert.equal(all.status, 200);
    assert.equal(all.body.total, 3);
    assert.deepEqual(all.body.items.map((l: { name: string }) => l.name), ['Closed Lab', 'Second Lab']);
    const next = await api(gh.issuer, ops, 'GET', '/labs?limit=2&offset=2');
    assert.deepEqual(next.body.items.map((l: { name: string }) => l.name), ['Test Lab']);
    const suspended = await api(gh.issuer, ops, 'GET', '/labs?status=suspended');
    assert.deepEqual(suspended.body.items.map((l: { id: string }) => l.id), ['lab-3']);
    const bad = await api(gh.issuer, ops, 'GET', '/labs?limit=0&colour=blue');
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('content-type'), 'application/problem+json');
    assert.deepEqual(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort(), ['#/query/colour', '#/query/limit']);
  });

  it('a lab admin manages their own lab\'s members and cannot tell other labs from missing ones', async () => {
    const token = await personToken(gh.issuer, lena, { lab: 'lab-1' });
    const mine = await api(gh.issuer, token, 'GET', '/labs');
    assert.deepEqual(mine.body.items.map((l: { id: string }) => l.id), ['lab-1']);
    assert.equal(mine.body.total, 1);
    const searched = await api(gh.issuer, token, 'GET', '/labs?q=lab-');
    assert.deepEqual([searched.body.total, searched.body.items.map((l: { id: string }) => l.id)], [1, ['lab-1']], 'a search stays inside the lab');

    const members = await api(gh.issuer, token, 'GET', '/labs/lab-1/members');
    assert.equal(members.status, 200);
    assert.ok(members.body.items.some((m: { username: string }) => m.username === 'john'));

    const other = await api(gh.issuer, token, 'GET', '/labs/lab-2/members');
    const missing = await api(gh.issuer, token, 'GET', '/labs/no-such-lab/members');
    assert.equal(other.status, 404);
    assert.deepEqual({ ...other.body, request_id: undefined }, { ...missing.body, request_id: undefined });

    const ottoId = (await gh.gatehouse.storage.db('users').first('id').where({ username: 'otto' })).id as string;
    const rootId = (await gh.gatehouse.storage.db('users').first('id').where({ username: 'root' })).id as string;
    const unknown = await api(gh.issuer, token, 'POST', '/labs/lab-1/members', { userId: 'no-such-user', role: 'viewer' });
    const anotherLabs = await api(gh.issuer, token, 'POST', '/labs/lab-1/members', { userId: ottoId, role: 'viewer' });
    const platformAdmin = await api(gh.issuer, token, 'POST', '/labs/lab-1/members', { userId: rootId, role: 'viewer' });
    assert.equal(anotherLabs.status, 404, 'another lab\'s member cannot be pulled in');
    assert.equal(platformAdmin.status, 404, 'nor a platform admin');
    const strip = (r: { body: Record<string, unknown> }) => ({ ...r.body, request_id: undefined });
    assert.deepEqual([strip(anotherLabs), strip(platformAdmin)], [strip(unknown), strip(unknown)], 'answered exactly as an unknown id');

    const newcomer = await api(gh.issuer, ops, 'POST', '/users', { username: 'newcomer' });
    const newcomerId = newcomer.body.id as string;
    const added = await api(gh.issuer, token, 'POST', '/labs/lab-1/members', { userId: newcomerId, role: 'viewer' });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.equal((await api(gh.issuer, token, 'POST', '/labs/lab-1/members', { userId: newcomerId, role: 'viewer' })).status, 409);
    const changed = await api(gh.issuer, token, 'PATCH', `/labs/lab-1/members/${newcomerId}`, { role: 'member', status: 'suspended' });
    assert.deepEqual([changed.body.role, changed.body.status], ['member', 'suspended']);
    assert.equal((await api(gh.issuer, token, 'DELETE', `/labs/lab-1/members/${newcomerId}`)).status, 204);
    assert.equal((await api(gh.issuer, token, 'POST', '/labs/lab-2/members', { userId: ottoId, role: 'viewer' })).status, 404);

    assert.equal((await api(gh.issuer, token, 'POST', '/labs', { name: 'Mine now' })).status, 403, 'lab admins do not create labs');
  });

  it('a platform admin sees every lab; a read-only service cannot write; no token is a 401 with a Bearer challenge', async () => {
    const admin = await personToken(gh.issuer, root);
    assert.equal((await api(gh.issuer, admin, 'GET', '/labs')).body.total, 3);

    const reader = await serviceToken(gh.issuer, directoryService, 'labs:read');
    assert.equal((await api(gh.issuer, reader, 'GET', '/labs')).status, 200);
    const denied = await api(gh.issuer, reader, 'POST', '/labs', { name: 'x' });
    assert.equal(denied.status, 403);
    assert.match(denied.headers.get('www-authenticate') ?? '', /insufficient_scope/);

    const anonymous = await api(gh.issuer, undefined, 'GET', '/labs');
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer realm=/);
    const cmsToken = (await userTokens(gh.issuer, { scope: 'openid cases:read', resource: CMS })).access_token;
    const otherAudience = await api(gh.issuer, cmsToken, 'GET', '/labs');
    assert.equal(otherAudience.status, 401, 'a token for another resource does not open the API');
    assert.match(otherAudience.headers.get('www-authenticate') ?? '', /invalid_token/);
    const noApiScopes = await api(gh.issuer, await personToken(gh.issuer, otto, { lab: 'lab-2', scope: 'cases:read' }), 'GET', '/labs');
    assert.equal(noApiScopes.status, 403, 'an API token without the scope is refused');
  });

  it('refuses a body that is not JSON (415), too large (413) or malformed (400), and a wrong method (405 with Allow)', async () => {
    const form = await api(gh.issuer, ops, 'POST', '/labs', undefined, { raw: 'name=x', contentType: 'application/x-www-form-urlencoded' });
    assert.equal(form.status, 415);
    assert.equal(form.headers.get('content-type'), 'application/problem+json');
    const huge = await api(gh.issuer, ops, 'POST', '/labs', { name: 'x'.repeat(300_000) });
    assert.equal(huge.status, 413);
    const malformed = await api(gh.issuer, ops, 'POST', '/labs', undefined, { raw: '{"name": ' });
    assert.equal(malformed.status, 400);
    assert.deepEqual(malformed.body.errors, [{ pointer: '#/body', detail: 'is not valid JSON' }]);
    const wrongMethod = await api(gh.issuer, ops, 'PUT', '/labs/lab-1', { name: 'x' });
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get('allow'), 'GET, PATCH, DELETE');
    assert.equal((await api(gh.issuer, ops, 'GET', '/labs/lab-1')).body.name, 'Test Lab', 'nothing changed');
  });
});
