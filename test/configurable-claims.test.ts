import { strict as assert } from 'node:assert';

import { decodeJwt } from 'jose';

import { parseImportDocument } from '../src/config/import-document.js';
import { ConfigError, loadConfig } from '../src/config/load-config.js';
import { CMS, mode, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { api, opsService, serviceToken } from './helpers/management-api.js';
import { introspect, userTokens } from './helpers/user-tokens.js';

const ATTRIBUTES = { company_id: { type: 'string', pattern: '^[a-z0-9-]{1,40}$' }, employee_number: { type: 'integer', minimum: 1 } };
const resourcePath = `/resources/${encodeURIComponent(CMS)}`;

describe(`configurable claims: custom user attributes and per-resource access-token claims (${mode})`, () => {
  let gh: TestGatehouse;
  let ops: string;
  let johnId: string;

  before(async () => {
    // No resource cache, so a changed choice of claims applies to the next token (5 s by default).
    gh = await startTestGatehouse({ GATEHOUSE_USER_ATTRIBUTES: JSON.stringify(ATTRIBUTES), GATEHOUSE_RESOURCE_CACHE_SECONDS: '0' });
    ops = await serviceToken(gh.issuer, opsService);
    johnId = (await gh.gatehouse.services.users.findByUsername('john'))!.id;
  });
  after(async () => gh?.stop());

  it('a bad attribute declaration stops start-up with a line naming the setting', () => {
    assert.throws(() => loadConfig({ GATEHOUSE_USER_ATTRIBUTES: '{"sub": {"type": "string"}}' }), (e: unknown) => e instanceof ConfigError && /GATEHOUSE_USER_ATTRIBUTES: userAttributes.sub/.test(e.message));
    assert.throws(() => loadConfig({ GATEHOUSE_USER_ATTRIBUTES: '{not json' }), (e: unknown) => e instanceof ConfigError && /GATEHOUSE_USER_ATTRIBUTES: expected JSON/.test(e.message));
  });

  it('attributes are managed through the API and validated against their declared schemas', async () => {
    const bad = await api(gh.issuer, ops, 'PATCH', `/users/${johnId}`, { attributes: { company_id: 'Not Valid!', shoe_size: 44 } });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('content-type'), 'application/problem+json');
    assert.deepEqual(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort(), ['#/body/attributes/company_id', '#/body/attributes/shoe_size']);
    const notObject = await api(gh.issuer, ops, 'PATCH', `/users/${johnId}`, { attributes: 'acme' });
    assert.equal(notObject.status, 400);

    const set = await api(gh.issuer, ops, 'PATCH', `/users/${johnId}`, { attributes: { company_id: 'acme', employee_number: 42 } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.deepEqual(set.body.attributes, { company_id: 'acme', employee_number: 42 });
    const removed = await api(gh.issuer, ops, 'PATCH', `/users/${johnId}`, { attributes: { employee_number: null } });
    assert.deepEqual(removed.body.attributes, { company_id: 'acme' });
    assert.deepEqual((await api(gh.issuer, ops, 'GET', `/users/${johnId}`)).body.attributes, { company_id: 'acme' });
  });

  it('the batch lookup returns each user\'s roles and attributes in the same call', async () => {
    const batch = await api(gh.issuer, ops, 'POST', '/users:batch', { ids: [johnId, 'nobody'] });
    assert.equal(batch.status, 200);
    const [john] = batch.body.users;
    assert.deepEqual(john.roles, [{ resourceUri: CMS, role: 'technician' }]);
    assert.deepEqual(john.attributes, { company_id: 'acme' });
    assert.deepEqual(batch.body.unknown, ['nobody']);
  });

  it('a resource chooses the user claims of its access tokens: a user_id alias of sub, email, username and a custom attribute', async () => {
    const unknown = await api(gh.issuer, ops, 'PATCH', resourcePath, { tokenClaims: ['email', 'password_hash'] });
    assert.equal(unknown.status, 400);
    const chosen = await api(gh.issuer, ops, 'PATCH', resourcePath, { tokenClaims: ['user_id', 'email', 'preferred_username', 'company_id'] });
    assert.equal(chosen.status, 200, JSON.stringify(chosen.body));
    assert.deepEqual(chosen.body.tokenClaims, ['user_id', 'email', 'preferred_username', 'company_id']);

    const tokens = await userTokens(gh.issuer, { scope: 'openid', resource: CMS });
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.user_id, claims.sub);
    assert.equal(claims.sub, johnId);
    assert.equal(claims.preferred_username, 'john');
    assert.equal(claims.company_id, 'acme');
    assert.ok(typeof claims.email === 'string');
    assert.ok(claims.exp);
    // Introspection shows the same claims to the resource.
    const introspected = await introspect(gh.issuer, tokens.access_token);
    assert.equal(introspected.company_id, 'acme');

    // Without a choice, no user claims beyond the subject.
    await api(gh.issuer, ops, 'PATCH', resourcePath, { tokenClaims: [] });
    const plain = decodeJwt((await userTokens(gh.issuer, { scope: 'openid', resource: CMS })).access_token);
    assert.equal(plain.email, undefined);
    assert.equal(plain.company_id, undefined);
  });

  it('the import sets token claims, attributes and the logout settings, and re-applying it changes nothing', async () => {
    const doc = () => parseImportDocument(JSON.stringify({
      resources: [{ uri: 'https://tickets.example', name: 'Tickets', scopes: ['tickets:read'], token_claims: ['user_id', 'email', 'company_id'] }],
      clients: [{
        client_id: 'ticket-desk', client_secret: 's3cret-value-ticket-desk', redirect_uris: ['https://desk.example/cb'], scope: 'openid offline_access',
        resources: ['https://tickets.example'], logout_ends_offline_grants: true, backchannel_logout_uri: 'https://desk.example/logout',
      }],
      users: [{ username: 'tess', attributes: { company_id: 'globex', employee_number: 7 } }],
    }), 'inline');
    await gh.gatehouse.services.applyImport(doc(), { actor: 'test:import' });
    assert.deepEqual((await gh.gatehouse.services.resources.get('https://tickets.example')).tokenClaims, ['user_id', 'email', 'company_id']);
    const desk = await gh.gatehouse.services.clients.get('ticket-desk');
    assert.equal(desk.logoutEndsOfflineGrants, true);
    assert.equal(desk.backchannelLogoutUri, 'https://desk.example/logout');
    assert.deepEqual((await gh.gatehouse.services.users.findByUsername('tess'))!.attributes, { company_id: 'globex', employee_number: 7 });

    await gh.gatehouse.services.applyImport(doc(), { actor: 'test:reimport' });
    assert.deepEqual(await gh.gatehouse.storage.db('audit_log').select('action').where({ actor: 'test:reimport' }), []);
  });
});
