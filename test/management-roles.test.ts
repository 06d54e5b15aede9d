import { strict as assert } from 'node:assert';

import { CMS, mode, postForm, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { api, lena, opsService, personToken, serviceToken, userIdsByName } from './helpers/management-api.js';
import { userTokens } from './helpers/user-tokens.js';

const TTS = 'https://tts.example';
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { roles?: string[]; lab_id?: string };

describe(`management API: resource roles (${mode})`, () => {
  let gh: TestGatehouse;
  let ops: string;
  let ids: Record<string, string>;
  before(async () => {
    gh = await startTestGatehouse();
    ops = await serviceToken(gh.issuer, opsService);
    ids = await userIdsByName(gh.gatehouse.storage.db);
  });
  after(async () => gh?.stop());

  const johnsCmsRoles = async () => claimsOf((await userTokens(gh.issuer, { scope: 'openid cases:read', resource: CMS })).access_token).roles;

  it('a role granted through the API is in the user\'s next access token, and gone from the one after its withdrawal', async () => {
    assert.deepEqual(await johnsCmsRoles(), ['technician']);

    const granted = await api(gh.issuer, ops, 'POST', `/users/${ids.john}/roles`, { resource: CMS, role: 'manager' });
    assert.equal(granted.status, 201, JSON.stringify(granted.body));
    assert.deepEqual(granted.body, { resource: CMS, role: 'manager' });
    assert.deepEqual(await johnsCmsRoles(), ['manager', 'technician']);

    const again = await api(gh.issuer, ops, 'POST', `/users/${ids.john}/roles`, { resource: CMS, role: 'manager' });
    assert.equal(again.status, 200, 'granting a held role is idempotent');
    const listed = await api(gh.issuer, ops, 'GET', `/users/${ids.john}/roles`);
    assert.deepEqual(listed.body, { items: [{ resource: CMS, role: 'manager' }, { resource: CMS, role: 'technician' }], total: 2 });

    const withdrawn = await api(gh.issuer, ops, 'DELETE', `/users/${ids.john}/roles?resource=${encodeURIComponent(CMS)}&role=manager`);
    assert.equal(withdrawn.status, 204);
    assert.deepEqual(await johnsCmsRoles(), ['technician']);
    assert.equal((await api(gh.issuer, ops, 'DELETE', `/users/${ids.john}/roles?resource=${encodeURIComponent(CMS)}&role=manager`)).status, 404, 'no longer held');

    const rows = await gh.gatehouse.storage.db('audit_log').select('action', 'details').where('target', `user:${ids.john}`).whereNot('actor', 'like', 'import:%').whereIn('action', ['role.granted', 'role.withdrawn']).orderBy('id');
    assert.deepEqual(rows.map((r: { action: string }) => r.action), ['role.granted', 'role.withdrawn'], 'the idempotent repeat is not audited');
  });

  it('only roles in the resource\'s catalogue, on registered resources and existing labs, can be granted (400 naming the field)', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ resource: CMS, role: 'agent' }, '#/body/role'],
      [{ resource: 'https://nowhere.example', role: 'agent' }, '#/body/resource'],
      [{ resource: CMS, role: 'manager', lab: 'no-such-lab' }, '#/body/lab'],
    ];
    for (const [body, pointer] of cases) {
      const response = await api(gh.issuer, ops, 'POST', `/users/${ids.john}/roles`, body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.body.errors[0].pointer, pointer);
    }
    assert.equal((await api(gh.issuer, ops, 'POST', '/users/nobody/roles', { resource: CMS, role: 'manager' })).status, 404);
    assert.equal((await gh.gatehouse.storage.db('resource_roles').where({ principal_id: ids.john })).length, 1, 'nothing was granted');
  });

  it('a lab-limited role shows only in tokens acting in that lab, and in the users-by-role lookup for that lab', async () => {
    const mary = { username: 'mary', password: 'pass123-long-enough' };
    const rolesIn = async (lab: string) => claimsOf((await userTokens(gh.issuer, { scope: 'openid cases:read', resource: CMS, user: mary, extra: { lab } })).access_token).roles;
    assert.deepEqual(await rolesIn('lab-2'), ['manager']);
    const granted = await api(gh.issuer, ops, 'POST', `/users/${ids.mary}/roles`, { resource: CMS, role: 'technician', lab: 'lab-2' });
    assert.equal(granted.status, 201);
    assert.deepEqual(await rolesIn('lab-2'), ['manager', 'technician']);

    assert.equal((await api(gh.issuer, ops, 'POST', `/users/${ids.mary}/roles`, { resource: TTS, role: 'agent', lab: 'lab-2' })).status, 201);
    const listed = await api(gh.issuer, ops, 'GET', `/users?resource=${encodeURIComponent(TTS)}&role=agent&lab=lab-2`);
    assert.deepEqual(listed.body.items.map((u: { username: string }) => u.username), ['mary', 'otto']);
    assert.equal((await api(gh.issuer, ops, 'DELETE', `/users/${ids.mary}/roles?resource=${encodeURIComponent(TTS)}&role=agent`)).status, 404, 'the global role is another assignment');
    assert.equal((await api(gh.issuer, ops, 'DELETE', `/users/${ids.mary}/roles?resource=${encodeURIComponent(TTS)}&role=agent&lab=lab-2`)).status, 204);
    assert.equal((await api(gh.issuer, ops, 'DELETE', `/users/${ids.mary}/roles?resource=${encodeURIComponent(CMS)}&role=technician&lab=lab-2`)).status, 204);
    assert.deepEqual(await rolesIn('lab-2'), ['manager']);
  });

  it('a lab admin grants and withdraws only roles limited to her lab, to her members, and sees only those', async () => {
    const token = await personToken(gh.issuer, lena, { lab: 'lab-1' });
    const granted = await api(gh.issuer, token, 'POST', `/users/${ids.john}/roles`, { resource: CMS, role: 'manager' });
    assert.equal(granted.status, 201);
    assert.deepEqual(granted.body, { resource: CMS, role: 'manager', lab: 'lab-1' }, 'her lab is implied');
    const elsewhere = await api(gh.issuer, token, 'POST', `/users/${ids.john}/roles`, { resource: CMS, role: 'manager', lab: 'lab-2' });
    const nowhere = await api(gh.issuer, token, 'POST', `/users/${ids.john}/roles`, { resource: CMS, role: 'manager', lab: 'no-such-lab' });
    assert.equal(elsewhere.status, 400);
    assert.deepEqual({ ...elsewhere.body, request_id: 0 }, { ...nowhere.body, request_id: 0 }, 'another lab reads as no lab');
    assert.equal((await api(gh.issuer, token, 'POST', `/users/${ids.otto}/roles`, { resource: TTS, role: 'agent' })).status, 404, 'not her member');

    // Mary's roles: global manager, technician in lab-1; lena sees both, and nothing limited to lab-2.
    await api(gh.issuer, ops, 'POST', `/users/${ids.mary}/roles`, { resource: TTS, role: 'agent', lab: 'lab-2' });
    const marys = await api(gh.issuer, token, 'GET', `/users/${ids.mary}/roles`);
    assert.deepEqual(marys.body.items, [{ resource: CMS, role: 'manager' }, { resource: CMS, role: 'technician', lab: 'lab-1' }]);
    assert.equal((await api(gh.issuer, token, 'DELETE', `/users/${ids.mary}/roles?resource=${encodeURIComponent(TTS)}&role=agent&lab=lab-2`)).status, 404);
    assert.equal((await api(gh.issuer, token, 'DELETE', `/users/${ids.john}/roles?resource=${encodeURIComponent(CMS)}&role=technician`)).status, 404, 'she cannot touch global roles');
    assert.equal((await api(gh.issuer, token, 'DELETE', `/users/${ids.john}/roles?resource=${encodeURIComponent(CMS)}&role=manager`)).status, 204);
    assert.equal((await api(gh.issuer, token, 'GET', `/clients/portal/roles`)).status, 403, 'client roles are not for lab admins');
  });

  it('a service client\'s role shows in its client_credentials tokens', async () => {
    const tokenRoles = async () => {
      const { status, body } = await postForm(`${gh.issuer}/token`, { grant_type: 'client_credentials', resource: TTS, scope: 'tickets:read' }, { id: 'tts-backend', secret: 's3cret-value-tts' });
      assert.equal(status, 200, JSON.stringify(body));
      return claimsOf(body.access_token as string).roles;
    };
    const granted = await api(gh.issuer, ops, 'POST', '/clients/tts-backend/roles', { resource: TTS, role: 'agent' });
    assert.equal(granted.status, 201, JSON.stringify(granted.body));
    assert.deepEqual(await tokenRoles(), ['agent']);
    assert.deepEqual((await api(gh.issuer, ops, 'GET', '/clients/tts-backend/roles')).body.items, [{ resource: TTS, role: 'agent' }]);
    assert.equal((await api(gh.issuer, ops, 'POST', '/clients/tts-backend/roles', { resource: TTS, role: 'agent', lab: 'lab-1' })).status, 400, 'client roles are global');
    assert.equal((await api(gh.issuer, ops, 'POST', '/clients/no-such-client/roles', { resource: TTS, role: 'agent' })).status, 404);
    assert.equal((await api(gh.issuer, ops, 'DELETE', `/clients/tts-backend/roles?resource=${encodeURIComponent(TTS)}&role=agent`)).status, 204);
    assert.deepEqual((await api(gh.issuer, ops, 'GET', '/clients/tts-backend/roles')).body, { items: [], total: 0 });
    const rows = await gh.gatehouse.storage.db('audit_log').select('action').where('target', 'client:tts-backend').whereNot('actor', 'like', 'import:%').orderBy('id');
    assert.deepEqual(rows.map((r: { action: string }) => r.action), ['role.granted', 'role.withdrawn']);
  });
});
