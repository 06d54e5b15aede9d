import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { decodeJwt } from 'jose';

import * as hashClientSecrets from '../migrations/20261123_005_hash_client_secrets.js';
import { parseImportDocument } from '../src/config/import-document.js';
import { eventually } from './helpers/eventually.js';
import { loginAndConsent } from './helpers/form-login.js';
import { CMS, createSandbox, fixtureImport, john, mode, portal, postForm, runCliInProcess, startTestGatehouse, type Sandbox, type TestGatehouse } from './helpers/harness.js';
import { api, directoryService, lena, opsService, personToken, serviceToken } from './helpers/management-api.js';
import { introspect } from './helpers/user-tokens.js';
import { operatorOrigin } from '../src/cli/operator-origin.js';

const FIXTURE_SECRETS = ['s3cret-value-portal', 's3cret-value-backend', 's3cret-value-tts', 's3cret-value-ops-service', 's3cret-value-directory'];

/** client_credentials at /token for CMS with HTTP Basic. */
const ccToken = (issuer: string, id: string, secret: string, extra: Record<string, string> = {}) =>
  postForm(`${issuer}/token`, { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read', ...extra }, { id, secret });

/** Every row of a table as text, to search for things that must never be stored. */
async function tableText(gh: TestGatehouse, table: string): Promise<string> {
  const { rows } = await gh.gatehouse.storage.db.raw(`SELECT t::text AS row FROM ${table} t`) as { rows: Array<{ row: string }> };
  return rows.map((r) => r.row).join('\n');
}

describe(`management API: clients and their secrets (${mode})`, () => {
  let gh: TestGatehouse;
  let ops: string;
  before(async () => {
    gh = await startTestGatehouse();
    ops = await serviceToken(gh.issuer, opsService);
  });
  after(async () => gh?.stop());

  it('a created confidential client gets a secret once, and it works for client_credentials with a token whose aud is the resource', async () => {
    const created = await api(gh.issuer, ops, 'POST', '/clients', {
      clientId: 'reporting', clientName: 'Reporting job', grantTypes: ['client_credentials'], resources: [CMS], scope: 'cases:read',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.headers.get('location'), '/api/v1/clients/reporting');
    assert.match(created.body.clientSecret, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url');
    assert.deepEqual(created.body.resourceScopes, ['cases:read']);
    assert.equal(created.body.secretCount, 1);

    const token = await ccToken(gh.issuer, 'reporting', created.body.clientSecret);
    assert.equal(token.status, 200, JSON.stringify(token.body));
    const claims = decodeJwt(token.body.access_token as string);
    assert.equal(claims.aud, CMS);
    assert.equal(claims.client_id, 'reporting');
    assert.equal(claims.scope, 'cases:read');
    assert.equal((await ccToken(gh.issuer, 'reporting', `${created.body.clientSecret}x`)).status, 401);

    const generated = await api(gh.issuer, ops, 'POST', '/clients', { grantTypes: ['client_credentials'], resources: [CMS] });
    assert.equal(generated.status, 201);
    assert.match(generated.body.clientId, /^client_[A-Za-z0-9_-]{16}$/, 'an id is generated when omitted');
  });

  it('a taken client id is 409; bad redirect URIs, unknown resources and scopes no resource offers are 400 naming the field', async () => {
    const taken = await api(gh.issuer, ops, 'POST', '/clients', { clientId: 'portal', grantTypes: ['client_credentials'], resources: [CMS] });
    assert.equal(taken.status, 409);
    assert.deepEqual(taken.body.errors, [{ pointer: '#/body/clientId', detail: 'is taken' }]);

    const bad = await api(gh.issuer, ops, 'POST', '/clients', {
      clientId: 'bad-web', redirectUris: ['https://app.example/cb', 'http://app.example/cb', 'https://app.example/cb#frag'],
      resources: [CMS, 'https://nowhere.example'], resourceScopes: ['cases:read', 'tickets:read'],
    });
    assert.equal(bad.status, 400, JSON.stringify(bad.body));
    assert.equal(bad.headers.get('content-type'), 'application/problem+json');
    assert.deepEqual(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort(), [
      '#/body/redirectUris/1', '#/body/redirectUris/2', '#/body/resourceScopes/1', '#/body/resources/1',
    ]);

    const noRedirect = await api(gh.issuer, ops, 'POST', '/clients', { clientId: 'no-redirect', grantTypes: ['authorization_code'] });
    assert.equal(noRedirect.status, 400);
    assert.equal(noRedirect.body.errors[0].pointer, '#/body/redirectUris');
    const publicService = await api(gh.issuer, ops, 'POST', '/clients', { clientId: 'public-cc', grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'none' });
    assert.equal(publicService.body.errors[0].pointer, '#/body/tokenEndpointAuthMethod');
    const unknownField = await api(gh.issuer, ops, 'POST', '/clients', { clientId: 'x', clientSecret: 'chosen-by-me' });
    assert.equal(unknownField.status, 400, 'a caller cannot choose a secret');
    assert.equal(Number((await gh.gatehouse.storage.db('clients').whereIn('client_id', ['bad-web', 'no-redirect', 'public-cc', 'x']).count({ n: '*' }))[0]!.n), 0, 'nothing refused was stored');
  });

  it('lists, reads, changes and deletes clients; responses and the audit log never hold a secret or its hash', async () => {
    const created = await api(gh.issuer, ops, 'POST', '/clients', {
      clientId: 'web-app', clientName: 'Web app', grantTypes: ['authorization_code', 'refresh_token'], redirectUris: ['https://web.example/cb', 'http://127.0.0.1:9000/cb'],
      scope: 'openid profile cases:read', resources: [CMS], defaultResource: CMS,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const secret = created.body.clientSecret as string;
    assert.equal(created.body.scope, 'openid profile');
    assert.deepEqual(created.body.resourceScopes, ['cases:read']);

    const list = await api(gh.issuer, ops, 'GET', '/clients?limit=3');
    assert.equal(list.status, 200);
    assert.ok(list.body.total >= 8);
    assert.equal(list.body.items.length, 3);
    const ids = list.body.items.map((c: { clientId: string }) => c.clientId);
    assert.deepEqual(ids, [...ids].sort(), 'ordered by client id');
    const filtered = await api(gh.issuer, ops, 'GET', '/clients?q=WEB&grantType=refresh_token');
    assert.deepEqual(filtered.body.items.map((c: { clientId: string }) => c.clientId), ['web-app']);
    const byResource = await api(gh.issuer, ops, 'GET', `/clients?resource=${encodeURIComponent('https://tts.example')}`);
    assert.deepEqual(byResource.body.items.map((c: { clientId: string }) => c.clientId), ['tts-backend']);

    const one = await api(gh.issuer, ops, 'GET', '/clients/web-app');
    assert.equal(one.status, 200);
    assert.equal(one.body.defaultResource, CMS);
    const changed = await api(gh.issuer, ops, 'PATCH', '/clients/web-app', { clientName: 'Web app 2', redirectUris: ['https://web.example/cb2'], defaultResource: null });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal(changed.body.clientName, 'Web app 2');
    assert.equal(changed.body.defaultResource, undefined);
    assert.deepEqual(changed.body.resourceScopes, ['cases:read'], 'scopes not given stay');
    const badChange = await api(gh.issuer, ops, 'PATCH', '/clients/web-app', { redirectUris: ['ftp://web.example/cb'] });
    assert.equal(badChange.status, 400);
    assert.equal(badChange.body.errors[0].pointer, '#/body/redirectUris/0');
    assert.equal((await api(gh.issuer, ops, 'PATCH', '/clients/nope', { clientName: 'x' })).status, 404);

    const rotated = await api(gh.issuer, ops, 'POST', '/clients/web-app/secret');
    assert.equal(rotated.status, 201);

    for (const response of [created, list, filtered, one, changed]) {
      const text = JSON.stringify({ ...response.body, clientSecret: undefined });
      assert.ok(!text.includes(secret) && !text.includes(rotated.body.clientSecret), 'no secret in a read');
      assert.ok(!/sha256:|unusable:|secret_hash|"clientSecret"/i.test(text), `no hash or placeholder in ${text}`);
    }

    assert.equal((await api(gh.issuer, ops, 'DELETE', '/clients/web-app')).status, 204);
    assert.equal((await api(gh.issuer, ops, 'GET', '/clients/web-app')).status, 404);
    assert.equal((await api(gh.issuer, ops, 'DELETE', '/clients/web-app')).status, 404);

    const rows = await gh.gatehouse.storage.db('audit_log').select('action', 'actor', 'details').where('target', 'client:web-app').orderBy('id');
    assert.deepEqual(rows.map((r: { action: string }) => r.action), ['client.created', 'client.updated', 'client.secret_rotated', 'client.deleted']);
    assert.equal(rows[0].actor, 'client:ops-service');
    const details = typeof rows[1].details === 'string' ? JSON.parse(rows[1].details) : rows[1].details;
    assert.equal(details.before.clientName, 'Web app');
    assert.equal(details.after.clientName, 'Web app 2');

    const audit = await tableText(gh, 'audit_log');
    for (const s of [secret, rotated.body.clientSecret as string, ...FIXTURE_SECRETS]) assert.ok(!audit.includes(s), 'no secret in the audit log');
    assert.ok(!/sha256:|unusable:/.test(audit), 'no hash or placeholder in the audit log');
  });

  it('stores only hashes: no secret is in the clients table, no HS256 key can be made from what is stored, and client_secret_jwt is not offered', async () => {
    const clients = await tableText(gh, 'clients');
    for (const s of FIXTURE_SECRETS) assert.ok(!clients.includes(s), `${s} is not stored`);
    const portalRow = await gh.gatehouse.storage.db('clients').first('metadata').where({ client_id: 'portal' });
    const metadata = typeof portalRow.metadata === 'string' ? JSON.parse(portalRow.metadata) : portalRow.metadata;
    assert.match(metadata.client_secret, /^unusable:/);
    assert.equal(metadata['urn:gatehouse:client_secret_hashes'][0].hash, `sha256:${createHash('sha256').update(portal.secret).digest('base64url')}`);
    assert.equal((await postForm(`${gh.issuer}/token`, { grant_type: 'client_credentials', resource: CMS }, { id: 'portal', secret: metadata.client_secret })).status, 401, 'the placeholder is no secret');

    const discovery = await (await fetch(`${gh.issuer}/.well-known/openid-configuration`)).json() as Record<string, string[]>;
    assert.ok(!discovery.token_endpoint_auth_methods_supported!.includes('client_secret_jwt'));
    assert.ok(!JSON.stringify(discovery).includes('HS256'), 'no HMAC algorithm is offered anywhere');
    const client = await gh.gatehouse.provider().Client.find('portal') as unknown as { symmetricKeyStore: { selectForVerify(o: object): unknown[]; selectForDecrypt(o: object): unknown[] } };
    assert.equal(client.symmetricKeyStore.selectForVerify({ alg: 'HS256' }).length, 0);
    assert.equal(client.symmetricKeyStore.selectForDecrypt({ alg: 'A128KW' }).length, 0);

    for (const endpoint of ['/token', '/token/introspection', '/token/revocation']) {
      const form: Record<string, string> = endpoint === '/token' ? { grant_type: 'client_credentials', resource: CMS } : { token: 'anything' };
      const wrong = await postForm(`${gh.issuer}${endpoint}`, form, { id: portal.id, secret: 'not-the-secret' });
      assert.deepEqual([wrong.status, wrong.body.error], [401, 'invalid_client'], endpoint);
      const post = await postForm(`${gh.issuer}${endpoint}`, { ...form, client_id: 'ops-service', client_secret: 'wrong' });
      assert.equal(post.status, 401, `${endpoint} with client_secret_post`);
    }
  });

  it('a client stored with a plain-text secret by an earlier version keeps its secret after the migration, which leaves only the hash', async () => {
    const legacy = { client_id: 'legacy-service', client_secret: 'legacy-plain-secret-value', grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic', 'urn:gatehouse:resources': [CMS], 'urn:gatehouse:resource_scopes': ['cases:read'] };
    await gh.gatehouse.storage.db('clients').insert({ client_id: legacy.client_id, metadata: JSON.stringify(legacy) });
    await hashClientSecrets.up(gh.gatehouse.storage.db);
    const row = await tableText(gh, 'clients');
    assert.ok(!row.includes(legacy.client_secret), 'the plain secret is gone');
    assert.equal((await ccToken(gh.issuer, legacy.client_id, legacy.client_secret)).status, 200);
    const again = await tableText(gh, 'clients');
    await hashClientSecrets.up(gh.gatehouse.storage.db);
    assert.equal(await tableText(gh, 'clients'), again, 'running it twice changes nothing');
  });

  it('after a rotation the old and the new secret both work; reads show two secrets and when the old one ends', async () => {
    const created = await api(gh.issuer, ops, 'POST', '/clients', { clientId: 'rotating', grantTypes: ['client_credentials'], resources: [CMS], resourceScopes: ['cases:read'] });
    const old = created.body.clientSecret as string;
    assert.equal((await ccToken(gh.issuer, 'rotating', old)).status, 200, 'the client is cached now');

    const before = Date.now();
    const rotated = await api(gh.issuer, ops, 'POST', '/clients/rotating/secret');
    assert.equal(rotated.status, 201, JSON.stringify(rotated.body));
    assert.equal(rotated.body.clientId, 'rotating');
    assert.notEqual(rotated.body.clientSecret, old);
    const ends = Date.parse(rotated.body.previousSecretExpiresAt);
    assert.ok(Math.abs(ends - before - 86_400_000) < 60_000, 'the old secret ends after the default overlap of one day');

    assert.equal((await ccToken(gh.issuer, 'rotating', rotated.body.clientSecret)).status, 200, 'the new secret works at once');
    assert.equal((await ccToken(gh.issuer, 'rotating', old)).status, 200, 'the old secret still works');
    const shown = await api(gh.issuer, ops, 'GET', '/clients/rotating');
    assert.equal(shown.body.secretCount, 2);
    assert.equal(shown.body.previousSecretExpiresAt, rotated.body.previousSecretExpiresAt);

    const publicRotation = await api(gh.issuer, ops, 'POST', '/clients/spa/secret');
    assert.equal(publicRotation.status, 409, 'a public client has no secret');
    // The same domain field as a new client's `clientId`, but here it travelled in the path.
    assert.deepEqual(publicRotation.body.errors.map((e: { pointer: string }) => e.pointer), ['#/params/clientId']);
    assert.equal((await api(gh.issuer, ops, 'POST', '/clients/nope/secret')).status, 404);
  });

  it('an imported secret stays accepted after re-importing the same file, which changes nothing and keeps a secret rotated since', async () => {
    const rotated = await api(gh.issuer, ops, 'POST', '/clients/tts-backend/secret');
    assert.equal(rotated.status, 201);
    const snapshot = async () => (await gh.gatehouse.storage.db('clients').first('metadata').where({ client_id: 'tts-backend' })).metadata;
    const before = await snapshot();
    const { applyImport } = gh.gatehouse.services;
    const doc = parseImportDocument(readFileSync(fixtureImport, 'utf8'), fixtureImport);
    const auditRows = async () => Number((await gh.gatehouse.storage.db('audit_log').count({ n: '*' }).first())!.n);
    const rowsBefore = await auditRows();
    await applyImport(doc, { actor: 'import:test' });
    await applyImport(doc, { actor: 'import:test' });
    assert.deepEqual(await snapshot(), before, 're-importing the same file changed nothing');
    assert.equal(await auditRows(), rowsBefore, 'and recorded nothing');
    const tts = (secret: string) => postForm(`${gh.issuer}/token`, { grant_type: 'client_credentials', resource: 'https://tts.example' }, { id: 'tts-backend', secret });
    assert.equal((await tts('s3cret-value-tts')).status, 200);
    assert.equal((await tts(rotated.body.clientSecret)).status, 200);
  });

  it('deleting a client revokes the grants users gave it: the access tokens minted from them go inactive', async () => {
    const redirectUri = 'http://127.0.0.1:8099/cb';
    const created = await api(gh.issuer, ops, 'POST', '/clients', {
      clientId: 'doomed-app', grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [redirectUri], scope: 'openid offline_access cases:read', resources: [CMS],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const verifier = randomBytes(32).toString('base64url');
    const url = new URL(`${gh.issuer}/auth`);
    url.search = new URLSearchParams({
      client_id: 'doomed-app', response_type: 'code', redirect_uri: redirectUri, scope: 'openid offline_access cases:read', prompt: 'consent', resource: CMS,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
    }).toString();
    const code = new URL(await loginAndConsent(url.href, redirectUri, john)).searchParams.get('code')!;
    const tokens = await postForm(`${gh.issuer}/token`, { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }, { id: 'doomed-app', secret: created.body.clientSecret });
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    const accessToken = tokens.body.access_token as string;
    assert.equal(decodeJwt(accessToken).aud, CMS);
    assert.equal((await introspect(gh.issuer, accessToken)).active, true, 'portal, a client of the CMS, sees the token active');

    assert.equal((await api(gh.issuer, ops, 'DELETE', '/clients/doomed-app')).status, 204);
    assert.equal((await introspect(gh.issuer, accessToken)).active, false);
    assert.equal((await postForm(`${gh.issuer}/token`, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token as string }, { id: 'doomed-app', secret: created.body.clientSecret })).status, 401);
    const details = (await gh.gatehouse.storage.db('audit_log').first('details').where({ target: 'client:doomed-app', action: 'client.deleted' })).details;
    assert.equal((typeof details === 'string' ? JSON.parse(details) : details).revokedGrants, 1);
  });

  it('a read-only service may read but not write clients; a lab admin may do neither', async () => {
    const reader = await serviceToken(gh.issuer, directoryService, 'users:read');
    assert.equal((await api(gh.issuer, reader, 'GET', '/clients')).status, 403, 'directory-service has no clients:read');
    for (const [method, path, body] of [['POST', '/clients', { grantTypes: ['client_credentials'], resources: [CMS] }], ['PATCH', '/clients/portal', { clientName: 'x' }], ['DELETE', '/clients/portal'], ['POST', '/clients/portal/secret']] as const) {
      const denied = await api(gh.issuer, reader, method, path, body);
      assert.equal(denied.status, 403, `${method} ${path}`);
    }
    const lenaToken = await personToken(gh.issuer, lena, { lab: 'lab-1' });
    for (const [method, path] of [['GET', '/clients'], ['GET', '/clients/portal'], ['POST', '/clients/portal/secret'], ['DELETE', '/clients/portal']] as const) {
      assert.equal((await api(gh.issuer, lenaToken, method, path)).status, 403, `lab admin: ${method} ${path}`);
    }
    assert.equal((await ccToken(gh.issuer, portal.id, portal.secret, { scope: 'cases:read' })).status, 200, 'portal is untouched');
  });
});

describe(`client secret rotation with a one-second overlap (${mode})`, () => {
  let gh: TestGatehouse;
  before(async () => {
    gh = await startTestGatehouse({ GATEHOUSE_CLIENT_SECRET_OVERLAP_SECONDS: '1' });
  });
  after(async () => gh?.stop());

  it('the previous secret stops working when the overlap ends; the new one keeps working', async () => {
    const ops = await serviceToken(gh.issuer, opsService);
    const created = await api(gh.issuer, ops, 'POST', '/clients', { clientId: 'short-overlap', grantTypes: ['client_credentials'], resources: [CMS], scope: 'cases:read' });
    const old = created.body.clientSecret as string;
    const rotated = await api(gh.issuer, ops, 'POST', '/clients/short-overlap/secret');
    assert.equal((await ccToken(gh.issuer, 'short-overlap', old)).status, 200, 'within the overlap');
    const ends = Date.parse(rotated.body.previousSecretExpiresAt);
    const late = await eventually(async () => {
      const answer = await ccToken(gh.issuer, 'short-overlap', old);
      return answer.status === 200 ? undefined : { ...answer, at: Date.now() };
    }, { intervalMs: 50, what: 'the overlap to end' });
    assert.deepEqual([late.status, late.body.error], [401, 'invalid_client']);
    assert.ok(late.at >= ends, 'refused only once the overlap ended');
    assert.equal((await ccToken(gh.issuer, 'short-overlap', rotated.body.clientSecret)).status, 200);
    assert.equal((await api(gh.issuer, ops, 'GET', '/clients/short-overlap')).body.secretCount, 1);
  });
});

describe(`gatehouse clients (CLI, ${mode})`, () => {
  let sandbox: Sandbox;
  let gh: TestGatehouse | undefined;
  before(async () => {
    sandbox = await createSandbox();
  });
  after(async () => {
    await gh?.stop();
    await sandbox?.dispose();
  });

  it('creates a public device-flow client (the docs/INTEGRATION.md command) and a client that requires PAR (--require-par)', async function () {
    this.timeout(240_000);
    const imported = await runCliInProcess(['import', fixtureImport], sandbox.env);
    assert.equal(imported.code, 0, imported.stderr);
    const device = await runCliInProcess(['clients', 'create', 'lab-cli', '--auth-method', 'none', '--grant', 'urn:ietf:params:oauth:grant-type:device_code', '--grant', 'refresh_token',
      '--resource', CMS, '--scope', 'openid offline_access cases:read', '--json'], sandbox.env);
    assert.equal(device.code, 0, device.stderr);
    assert.deepEqual(JSON.parse(device.stdout).redirectUris, [], 'no redirect URIs needed');
    const par = await runCliInProcess(['clients', 'create', 'par-web', '--redirect-uri', 'https://par.example/cb', '--require-par', '--json'], sandbox.env);
    assert.equal(par.code, 0, par.stderr);
    assert.equal(JSON.parse(par.stdout).requirePushedAuthorizationRequests, true);
  });

  it('creates a client with a secret printed once, lists it, and rotates its secret with the same rules as the API', async function () {
    // Eight CLI processes, each opening the database: slow on a busy machine.
    this.timeout(240_000);
    const imported = await runCliInProcess(['import', fixtureImport], sandbox.env);
    assert.equal(imported.code, 0, imported.stderr);

    const created = await runCliInProcess(['clients', 'create', 'nightly-sync', '--grant', 'client_credentials', '--resource', CMS, '--scope', 'cases:read cases:write', '--json'], sandbox.env);
    assert.equal(created.code, 0, created.stderr);
    const out = JSON.parse(created.stdout);
    assert.equal(out.clientId, 'nightly-sync');
    assert.equal(out.dpopBoundAccessTokens, false);
    assert.match(out.clientSecret, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(out.resourceScopes, ['cases:read', 'cases:write']);
    const exchanging = await runCliInProcess([
      'clients', 'create', 'cli-exchanger', '--grant', 'urn:ietf:params:oauth:grant-type:token-exchange', '--resource', CMS, '--resource', 'https://tts.example',
      '--scope', 'tickets:read', '--exchange-resource', 'https://tts.example', '--first-party', '--json',
    ], sandbox.env);
    assert.equal(exchanging.code, 0, exchanging.stderr);
    assert.deepEqual([JSON.parse(exchanging.stdout).tokenExchangeResources, JSON.parse(exchanging.stdout).firstParty], [['https://tts.example'], true]);

    const bound = await runCliInProcess(['clients', 'create', 'bound-sync', '--grant', 'client_credentials', '--resource', CMS, '--scope', 'cases:read', '--dpop-bound', '--json'], sandbox.env);
    assert.equal(bound.code, 0, bound.stderr);
    assert.equal(JSON.parse(bound.stdout).dpopBoundAccessTokens, true, '--dpop-bound sets dpop_bound_access_tokens');

    const again = await runCliInProcess(['clients', 'create', 'nightly-sync', '--grant', 'client_credentials', '--resource', CMS], sandbox.env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/);
    const invalid = await runCliInProcess(['clients', 'create', 'bad-cli', '--resource', 'https://nowhere.example', '--grant', 'client_credentials'], sandbox.env);
    assert.equal(invalid.code, 2, 'refused input is a usage error, as in `gatehouse users` and `labs`');
    // The use case's field, as the CLI prints it: no JSON pointer to parse.
    assert.match(invalid.stderr, /^gatehouse: invalid client: resources\.0 no resource https:\/\/nowhere\.example\n$/);

    const list = await runCliInProcess(['clients', 'list'], sandbox.env);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^nightly-sync\s+client_credentials\s+.*https:\/\/cms\.example/m);
    assert.ok(!list.stdout.includes(out.clientSecret));

    const rotated = await runCliInProcess(['clients', 'rotate-secret', 'nightly-sync', '--json'], sandbox.env);
    assert.equal(rotated.code, 0, rotated.stderr);
    const rotation = JSON.parse(rotated.stdout);
    assert.notEqual(rotation.clientSecret, out.clientSecret);
    assert.ok(Date.parse(rotation.previousSecretExpiresAt) > Date.now() + 86_000_000);

    const { rows } = await runCliInProcess(['audit', 'export'], sandbox.env).then((r) => ({ rows: r.stdout.trim().split('\n').map((l) => JSON.parse(l)) }));
    assert.deepEqual(rows.filter((r: { target: string }) => r.target === 'client:nightly-sync').map((r: { action: string; actor: string }) => `${r.action} ${r.actor}`),
      [`client.created ${operatorOrigin().actor}`, `client.secret_rotated ${operatorOrigin().actor}`]);
    const exported = JSON.stringify(rows);
    assert.ok(!exported.includes(out.clientSecret) && !exported.includes(rotation.clientSecret));

    gh = await startTestGatehouse({}, sandbox);
    for (const secret of [rotation.clientSecret, out.clientSecret]) {
      const token = await ccToken(gh.issuer, 'nightly-sync', secret, { scope: 'cases:write' });
      assert.equal(token.status, 200, JSON.stringify(token.body));
    }
  });
});
