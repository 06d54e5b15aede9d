import { strict as assert } from 'node:assert';

import { mode, portal, postForm, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { api, lena, opsService, personToken, serviceToken, userIdsByName } from './helpers/management-api.js';

/** Paths from one kind of access to more: each must be closed. */
describe(`management API: no escalation (${mode})`, () => {
  let gh: TestGatehouse;
  let ids: Record<string, string>;
  before(async () => {
    gh = await startTestGatehouse();
    ids = await userIdsByName(gh.gatehouse.storage.db);
  });
  after(async () => gh?.stop());

  it('a service with users:write cannot take over or lock out a platform admin', async () => {
    const service = await serviceToken(gh.issuer, opsService);
    const password = await api(gh.issuer, service, 'PUT', `/users/${ids.root}/password`, { password: 'service-chosen-Pw-8841' });
    assert.equal(password.status, 403);
    assert.equal((await api(gh.issuer, service, 'PATCH', `/users/${ids.root}`, { email: 'attacker@example.test' })).status, 403);
    assert.equal((await api(gh.issuer, service, 'POST', `/users/${ids.root}/block`, { reason: 'x' })).status, 403);
    assert.equal((await api(gh.issuer, service, 'DELETE', `/users/${ids.root}`)).status, 403);
    assert.equal((await api(gh.issuer, service, 'DELETE', `/users/${ids.root}/sessions`)).status, 403, 'nor sign them out everywhere');
    assert.equal((await api(gh.issuer, service, 'PATCH', `/users/${ids.root}`, { givenName: 'Root' })).status, 200, 'the profile itself may change');
  });

  it('a lab admin gives first passwords only: an account she merely added to her lab cannot be taken over', async () => {
    const service = await serviceToken(gh.issuer, opsService);
    const outsider = await api(gh.issuer, service, 'POST', '/users', { username: 'self-made', password: 'own-chosen-Pw-7731' });
    assert.equal(outsider.status, 201);
    const token = await personToken(gh.issuer, lena, { lab: 'lab-1' });
    assert.equal((await api(gh.issuer, token, 'POST', '/labs/lab-1/members', { userId: outsider.body.id, role: 'member' })).status, 201);
    const takeover = await api(gh.issuer, token, 'PUT', `/users/${outsider.body.id}/password`, { password: 'lab-admin-Pw-2291-x' });
    assert.equal(takeover.status, 403);

    const created = await api(gh.issuer, token, 'POST', '/users', { username: 'new-in-lab-1', email: 'new1@example.test', emailVerified: true, membership: { role: 'member' } });
    assert.equal(created.status, 201);
    assert.equal(created.body.emailVerified, false, 'a lab admin cannot vouch for an address');
    assert.equal((await api(gh.issuer, token, 'PUT', `/users/${created.body.id}/password`, { password: 'first-Pw-for-new-5531' })).status, 204);
    assert.equal((await api(gh.issuer, token, 'PUT', `/users/${created.body.id}/password`, { password: 'second-Pw-for-new-5532' })).status, 403, 'a reset needs a platform admin');
  });

  it('clients:write alone cannot mint a client with management scopes it does not hold', async () => {
    const limited = await postForm(`${gh.issuer}/token`, { grant_type: 'client_credentials', resource: `${gh.issuer}/api`, scope: 'clients:write' }, opsService);
    const token = limited.body.access_token as string;
    const body = { clientId: 'sneaky', grantTypes: ['client_credentials'], resources: [`${gh.issuer}/api`], resourceScopes: ['users:write', 'audit:read'] };
    const refused = await api(gh.issuer, token, 'POST', '/clients', body);
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal((await api(gh.issuer, token, 'POST', '/clients', { ...body, resourceScopes: ['clients:write'] })).status, 201, 'scopes it holds may be given');
    assert.equal((await api(gh.issuer, token, 'PATCH', '/clients/sneaky', { resourceScopes: ['users:write'] })).status, 403);
    const takeover = await api(gh.issuer, token, 'POST', '/clients/ops-service/secret');
    assert.equal(takeover.status, 403, 'rotating a client with more management scopes would hand them over');
    assert.equal((await api(gh.issuer, token, 'PATCH', '/clients/ops-service', { clientName: 'mine now' })).status, 403);
    assert.equal((await api(gh.issuer, token, 'DELETE', '/clients/ops-service')).status, 403);
    assert.equal((await api(gh.issuer, token, 'POST', '/clients/sneaky/secret')).status, 201, 'a client within the caller\'s scopes may be rotated');
  });

  it('a token that was revoked, or whose lab membership is suspended, no longer opens the API (401)', async () => {
    const service = await serviceToken(gh.issuer, opsService);
    const token = await personToken(gh.issuer, lena, { lab: 'lab-1' });
    assert.equal((await api(gh.issuer, token, 'GET', '/labs/lab-1')).status, 200);
    assert.equal((await api(gh.issuer, service, 'PATCH', `/labs/lab-1/members/${ids.lena}`, { status: 'suspended' })).status, 200);
    const suspended = await api(gh.issuer, token, 'GET', '/labs/lab-1');
    assert.equal(suspended.status, 401);
    assert.match(suspended.headers.get('www-authenticate') ?? '', /invalid_token/);
    assert.equal((await api(gh.issuer, service, 'PATCH', `/labs/lab-1/members/${ids.lena}`, { status: 'active' })).status, 200);
    assert.equal((await api(gh.issuer, token, 'GET', '/labs/lab-1')).status, 200, 'active again');

    const admin = await personToken(gh.issuer, { username: 'root', password: 'pass123-long-enough' });
    assert.equal((await api(gh.issuer, admin, 'GET', '/labs')).status, 200);
    assert.equal((await postForm(`${gh.issuer}/token/revocation`, { token: admin }, portal)).status, 200);
    assert.equal((await api(gh.issuer, admin, 'GET', '/labs')).status, 401, 'revoked');
  });
});
