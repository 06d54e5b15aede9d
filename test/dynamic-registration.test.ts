import { strict as assert } from 'node:assert';

import { api, opsService, serviceToken } from './helpers/management-api.js';
import { CMS, mode, postForm, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';

const registration = {
  client_name: 'A tool',
  redirect_uris: ['http://127.0.0.1:9/cb'],
  grant_types: ['authorization_code', 'refresh_token'],
  token_endpoint_auth_method: 'none',
  scope: 'openid cases:read',
};

async function register(issuer: string, body: unknown, token?: string): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(`${issuer}/reg`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text, headers: response.headers };
}

async function manage(url: string, token: string, method: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(url, {
    method, headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: response.status === 204 ? undefined : await response.json() };
}

describe(`dynamic client registration, RFC 7591/7592 (${mode})`, () => {
  // Off by default: test/client-id-metadata-documents.test.ts checks it on its server (default registration settings).
  describe('gated by initial access tokens', () => {
    let gh: TestGatehouse;
    let ops: string;
    before(async () => {
      gh = await startTestGatehouse({ GATEHOUSE_DYNAMIC_REGISTRATION: 'initial-access-token', GATEHOUSE_DYNAMIC_CLIENT_RESOURCES: CMS });
      ops = await serviceToken(gh.issuer, opsService);
    });
    after(async () => gh?.stop());

    const newToken = async (singleUse: boolean) => {
      const { status, body } = await api(gh.issuer, ops, 'POST', '/initial-access-tokens', { singleUse, expiresInSeconds: 600 });
      assert.equal(status, 201, JSON.stringify(body));
      return body as { id: string; token: string };
    };

    it('advertises the registration endpoint and refuses a registration without a valid initial access token', async () => {
      const discovery = await (await fetch(`${gh.issuer}/.well-known/oauth-authorization-server`)).json() as Record<string, unknown>;
      assert.equal(discovery.registration_endpoint, `${gh.issuer}/reg`);
      for (const token of [undefined, 'not-a-token']) {
        const { status, body, headers } = await register(gh.issuer, registration, token);
        assert.equal(status, 401);
        assert.equal(body.error, 'invalid_token');
        assert.match(headers.get('www-authenticate') ?? '', /^Bearer/);
      }
    });

    it('registers a client through the management rules with a single-use token: the policy\'s resources, audited, listed, the token used up', async () => {
      const iat = await newToken(true);
      const { status, body } = await register(gh.issuer, registration, iat.token);
      assert.equal(status, 201, JSON.stringify(body));
      assert.equal(body.scope, 'openid cases:read', 'the scope as registered, resource scope included');
      assert.ok(typeof body.registration_access_token === 'string' && body.registration_client_uri === `${gh.issuer}/reg/${body.client_id}`);
      assert.ok(!Object.keys(body).some((k) => k.startsWith('urn:gatehouse:')), 'none of Gatehouse\'s own metadata is shown');

      const again = await register(gh.issuer, registration, iat.token);
      assert.equal(again.status, 401, 'a single-use token registers once');

      const client = await api(gh.issuer, ops, 'GET', `/clients/${body.client_id}`);
      assert.equal(client.status, 200);
      assert.equal(client.body.registeredDynamically, true);
      assert.deepEqual(client.body.resources, [CMS]);
      assert.deepEqual(client.body.resourceScopes, ['cases:read']);
      assert.equal(client.body.defaultResource, CMS);

      const listed = await api(gh.issuer, ops, 'GET', '/initial-access-tokens');
      const entry = listed.body.items.find((t: { id: string }) => t.id === iat.id);
      assert.deepEqual({ singleUse: entry.singleUse, used: entry.used }, { singleUse: true, used: true });
      assert.ok(!JSON.stringify(listed.body).includes(iat.token), 'the token itself is never listed');

      const audit = await api(gh.issuer, ops, 'GET', `/audit?action=client.registered&actor=${encodeURIComponent(`initial-access-token:${iat.id}`)}`);
      assert.equal(audit.body.items?.length ?? audit.body.entries?.length, 1, JSON.stringify(audit.body));
      const { events } = await gh.gatehouse.services.eventFeed.page(0, { types: ['client.created'] }, 1000);
      assert.ok(events.some((e) => e.subject === `client:${body.client_id}`), 'subscribers hear of it as client.created');
    });

    it('refuses forbidden redirect URIs, Gatehouse\'s own metadata and service grants, with the standard errors', async () => {
      const iat = await newToken(false);
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ ...registration, redirect_uris: ['http://evil.example/cb'] }, 'invalid_redirect_uri'],
        [{ ...registration, redirect_uris: ['https://ok.example/cb#frag'] }, 'invalid_redirect_uri'],
        [{ ...registration, 'urn:gatehouse:first_party': true }, 'invalid_client_metadata'],
        [{ ...registration, 'urn:gatehouse:resources': ['https://tts.example'] }, 'invalid_client_metadata'],
        [{ ...registration, grant_types: ['authorization_code', 'client_credentials'], token_endpoint_auth_method: 'client_secret_basic' }, 'invalid_client_metadata'],
        [{ ...registration, scope: 'openid tickets:read' }, 'invalid_client_metadata'],
      ];
      for (const [body, error] of cases) {
        const refused = await register(gh.issuer, body, iat.token);
        assert.equal(refused.status, 400, JSON.stringify({ body, answer: refused.body }));
        assert.equal(refused.body.error, error, JSON.stringify(refused.body));
      }
      const multi = await register(gh.issuer, registration, iat.token);
      assert.equal(multi.status, 201, 'a multi-use token still works after refusals');
    });

    it('stores a generated secret only hashed, and the client manages itself with a rotating registration access token (RFC 7592)', async () => {
      const iat = await newToken(true);
      const { body } = await register(gh.issuer, { ...registration, token_endpoint_auth_method: 'client_secret_basic' }, iat.token);
      assert.ok(typeof body.client_secret === 'string' && body.client_secret.length >= 32);
      const stored = await gh.gatehouse.storage.repos.clients.find(body.client_id);
      assert.ok(!JSON.stringify(stored).includes(body.client_secret), 'the secret is not stored');
      // The secret authenticates: a bad refresh token is invalid_grant, not invalid_client.
      const withSecret = await postForm(`${gh.issuer}/token`, { grant_type: 'refresh_token', refresh_token: 'nope' }, { id: body.client_id, secret: body.client_secret });
      assert.equal(withSecret.body.error, 'invalid_grant');
      const wrongSecret = await postForm(`${gh.issuer}/token`, { grant_type: 'refresh_token', refresh_token: 'nope' }, { id: body.client_id, secret: 'wrong' });
      assert.equal(wrongSecret.body.error, 'invalid_client');

      const read = await manage(body.registration_client_uri, body.registration_access_token, 'GET');
      assert.equal(read.status, 200);
      assert.equal(read.body.client_name, 'A tool');
      assert.equal(read.body.client_secret, undefined, 'the stored placeholder is not shown');
      assert.ok(!Object.keys(read.body).some((k) => k.startsWith('urn:gatehouse:')));

      const { client_secret: _secret, registration_access_token: _rat, registration_client_uri: _uri, client_secret_expires_at: _exp, client_id_issued_at: _iat, ...current } = read.body;
      const updated = await manage(body.registration_client_uri, body.registration_access_token, 'PUT', { ...current, client_name: 'A renamed tool' });
      assert.equal(updated.status, 200, JSON.stringify(updated.body));
      assert.notEqual(updated.body.registration_access_token, body.registration_access_token, 'the registration access token rotates');
      assert.equal((await manage(body.registration_client_uri, body.registration_access_token, 'GET')).status, 401, 'the old one stops working');
      const viewed = await api(gh.issuer, ops, 'GET', `/clients/${body.client_id}`);
      assert.equal(viewed.body.clientName, 'A renamed tool');
      const stillWorks = await postForm(`${gh.issuer}/token`, { grant_type: 'refresh_token', refresh_token: 'nope' }, { id: body.client_id, secret: body.client_secret });
      assert.equal(stillWorks.body.error, 'invalid_grant', 'the secret survives the update');

      const hostile = await manage(body.registration_client_uri, updated.body.registration_access_token, 'PUT', { ...current, redirect_uris: ['http://evil.example/cb'] });
      assert.equal(hostile.status, 400);
      assert.equal(hostile.body.error, 'invalid_redirect_uri');

      const byOperator = await api(gh.issuer, ops, 'PATCH', `/clients/${body.client_id}`, { clientName: 'Renamed by an operator' });
      assert.equal(byOperator.body.registeredDynamically, true, 'an operator\'s change keeps it a registered client');
      const reread = await manage(body.registration_client_uri, updated.body.registration_access_token, 'GET');
      assert.equal(reread.body.client_name, 'Renamed by an operator');
      assert.equal(typeof reread.body.client_id_issued_at, 'number');

      const deleted = await manage(body.registration_client_uri, updated.body.registration_access_token, 'DELETE');
      assert.equal(deleted.status, 204);
      assert.equal((await api(gh.issuer, ops, 'GET', `/clients/${body.client_id}`)).status, 404);
    });

    it('lets concurrent registrations with one single-use token register exactly one client', async () => {
      const iat = await newToken(true);
      const answers = await Promise.all(Array.from({ length: 5 }, () => register(gh.issuer, registration, iat.token)));
      assert.deepEqual(answers.map((a) => a.status).sort(), [201, 401, 401, 401, 401]);
    });

    it('revokes an initial access token', async () => {
      const iat = await newToken(false);
      assert.equal((await api(gh.issuer, ops, 'DELETE', `/initial-access-tokens/${iat.id}`)).status, 204);
      assert.equal((await register(gh.issuer, registration, iat.token)).status, 401);
      assert.equal((await api(gh.issuer, ops, 'DELETE', `/initial-access-tokens/${iat.id}`)).status, 404);
    });
  });
});
