import { strict as assert } from 'node:assert';

import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';

import { parseImportDocument } from '../src/config/import-document.js';
import { FormBrowser, loginAndConsent } from './helpers/form-login.js';
import { basic, CMS, john, mode, portal, readJsonBody, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { api, opsService, serviceToken } from './helpers/management-api.js';
import { discoverClient, portalAuthorization } from './helpers/relying-party.js';

const strict = { id: 'par-only', redirectUri: 'http://127.0.0.1:8083/cb' };

/** RFC 9126 with openid-client as the client, through Gatehouse's own login and consent pages. */
describe(`pushed authorization requests (RFC 9126 PAR) (${mode})`, () => {
  let gh: TestGatehouse;
  let ops: string;
  before(async () => {
    gh = await startTestGatehouse();
    ops = await serviceToken(gh.issuer, opsService);
  });
  after(async () => gh?.stop());

  /** A PKCE authorization request pushed to /request: the browser's URL carries only client_id and request_uri. */
  async function pushed(config: oidc.Configuration, redirectUri: string, extra: Record<string, string> = {}) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = await oidc.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: redirectUri, scope: 'openid profile', state, resource: CMS,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...extra,
    });
    return { url, verifier, state };
  }

  it('discovery advertises the PAR endpoint, not required for every client', async () => {
    const metadata = (await (await fetch(`${gh.issuer}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    assert.equal(metadata.pushed_authorization_request_endpoint, `${gh.issuer}/request`);
    assert.notEqual(metadata.require_pushed_authorization_requests, true);
  });

  it('a pushed request completes login and consent through our pages and gets tokens (openid-client, confidential client)', async () => {
    const config = await discoverClient(gh.issuer, portal.id, portal.secret);
    const request = await pushed(config, portal.redirectUri);
    assert.deepEqual([...request.url.searchParams.keys()].sort(), ['client_id', 'request_uri']);
    assert.match(request.url.searchParams.get('request_uri')!, /^urn:ietf:params:oauth:request_uri:/);
    const callback = new URL(await loginAndConsent(request.url.href, portal.redirectUri, john));
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: request.verifier, expectedState: request.state }, { resource: CMS });
    assert.equal(decodeJwt(tokens.access_token).aud, CMS);
    assert.equal(tokens.claims()?.sub, decodeJwt(tokens.access_token).sub);
  });

  it('a plain OAuth request pushed without scope gets the client\'s scopes on the resource (the default of a plain authorization request)', async () => {
    const config = await discoverClient(gh.issuer, portal.id, portal.secret);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = await oidc.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: portal.redirectUri, state, resource: CMS, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const callback = new URL(await loginAndConsent(url.href, portal.redirectUri, john));
    assert.equal(callback.searchParams.get('error'), null, callback.href);
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state }, { resource: CMS });
    assert.equal(tokens.id_token, undefined);
    assert.deepEqual(String(decodeJwt(tokens.access_token).scope).split(' ').sort(), ['cases:read', 'cases:write']);
  });

  it('a request_uri is used once', async () => {
    const config = await discoverClient(gh.issuer, portal.id, portal.secret);
    const request = await pushed(config, portal.redirectUri);
    await loginAndConsent(request.url.href, portal.redirectUri, john);
    const again = await new FormBrowser(portal.redirectUri).go(request.url.href);
    const callback = new URL(again.url);
    assert.equal(callback.searchParams.get('error'), 'invalid_request_uri', again.url);
  });

  describe('a client that requires PAR (require_pushed_authorization_requests)', () => {
    before(async () => {
      const created = await api(gh.issuer, ops, 'POST', '/clients', {
        clientId: strict.id, redirectUris: [strict.redirectUri], grantTypes: ['authorization_code'], tokenEndpointAuthMethod: 'none',
        scope: 'openid profile', resources: [CMS], requirePushedAuthorizationRequests: true,
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.requirePushedAuthorizationRequests, true);
    });

    it('is refused a plain authorization request (invalid_request at its redirect URI)', async () => {
      const config = await discoverClient(gh.issuer, strict.id);
      const verifier = oidc.randomPKCECodeVerifier();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: strict.redirectUri, scope: 'openid', state: 'st', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      });
      const page = await new FormBrowser(strict.redirectUri).go(url.href);
      const callback = new URL(page.url);
      assert.equal(callback.origin + callback.pathname, strict.redirectUri, `${page.status} ${page.url}`);
      assert.equal(callback.searchParams.get('error'), 'invalid_request');
      assert.match(callback.searchParams.get('error_description')!, /Pushed Authorization Request must be used/);
    });

    it('gets tokens through a pushed request (a public client, PKCE)', async () => {
      const config = await discoverClient(gh.issuer, strict.id);
      const request = await pushed(config, strict.redirectUri);
      const callback = new URL(await loginAndConsent(request.url.href, strict.redirectUri, john));
      const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: request.verifier, expectedState: request.state }, { resource: CMS });
      assert.equal(decodeJwt(tokens.access_token).client_id, strict.id);
    });

    it('the management API shows and changes the setting, and refuses it without the authorization_code grant', async () => {
      assert.equal((await api(gh.issuer, ops, 'GET', `/clients/${strict.id}`)).body.requirePushedAuthorizationRequests, true);
      const wrongType = await api(gh.issuer, ops, 'PATCH', `/clients/${strict.id}`, { requirePushedAuthorizationRequests: 'yes' });
      assert.equal(wrongType.status, 400);
      const service = await api(gh.issuer, ops, 'POST', '/clients', {
        clientId: 'par-service', grantTypes: ['client_credentials'], resources: [CMS], requirePushedAuthorizationRequests: true,
      });
      assert.equal(service.status, 400);
      assert.deepEqual(service.body.errors.map((e: { pointer: string }) => e.pointer), ['#/body/requirePushedAuthorizationRequests']);
      const off = await api(gh.issuer, ops, 'PATCH', `/clients/${strict.id}`, { requirePushedAuthorizationRequests: false });
      assert.equal(off.status, 200, JSON.stringify(off.body));
      assert.equal(off.body.requirePushedAuthorizationRequests, false);
      const on = await api(gh.issuer, ops, 'PATCH', `/clients/${strict.id}`, { requirePushedAuthorizationRequests: true });
      assert.equal(on.body.requirePushedAuthorizationRequests, true);
    });

    it('the import sets it (require_pushed_authorization_requests) and a re-import without it turns it off', async () => {
      const doc = (requirePar?: boolean) => parseImportDocument(JSON.stringify({
        clients: [{ client_id: 'imported-par', redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'none', scope: 'openid', ...(requirePar === undefined ? {} : { require_pushed_authorization_requests: requirePar }) }],
      }), 'test');
      await gh.gatehouse.services.applyImport(doc(true), { actor: 'test' });
      assert.equal((await gh.gatehouse.services.clients.get('imported-par')).requirePushedAuthorizationRequests, true);
      await gh.gatehouse.services.applyImport(doc(), { actor: 'test' });
      assert.equal((await gh.gatehouse.services.clients.get('imported-par')).requirePushedAuthorizationRequests, false);
    });
  });

  describe('the PAR endpoint refuses hostile or malformed input with a standard OAuth error in JSON', () => {
    const push = async (form: string, authorization = basic(portal.id, portal.secret)) => {
      const response = await fetch(`${gh.issuer}/request`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html,application/json', ...(authorization ? { authorization } : {}) }, body: form,
      });
      return { status: response.status, type: response.headers.get('content-type') ?? '', body: await readJsonBody(response) };
    };
    const valid = () => new URLSearchParams({ client_id: portal.id, response_type: 'code', redirect_uri: portal.redirectUri, scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' });

    const cases: Array<[string, () => Promise<{ status: number; type: string; body: Record<string, unknown> }>, string]> = [
      ['a NUL in state', async () => push(`${valid().toString()}&state=a%00b`), 'state'],
      ['a NUL in redirect_uri', async () => push(valid().toString().replace('%2Fcb', '%2Fcb%00')), 'redirect_uri'],
      ['a NUL in client_id', async () => push(valid().toString().replace(`client_id=${portal.id}`, 'client_id=%00')), 'client_id'],
      ['a NUL in the Basic client id', async () => push(valid().toString(), basic('\u0000', 'x')), 'Authorization'],
      ['a body beyond 56 KB', async () => push(`${valid().toString()}&state=${'a'.repeat(60 * 1024)}`), 'request body'],
      ['a repeated parameter', async () => push(`${valid().toString()}&scope=profile`), 'scope'],
    ];
    for (const [name, call, named] of cases) {
      it(name, async () => {
        const response = await call();
        assert.equal(response.status, 400, JSON.stringify(response.body));
        assert.match(response.type, /^application\/json/, 'JSON even to a client that accepts HTML');
        assert.equal(response.body.error, 'invalid_request', JSON.stringify(response.body));
        assert.ok(String(response.body.error_description).includes(named), String(response.body.error_description));
      });
    }

    it('a request_uri inside the pushed request is refused (request_uri_not_supported)', async () => {
      const response = await push(`${valid().toString()}&request_uri=urn:ietf:params:oauth:request_uri:x`);
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'request_uri_not_supported');
    });

    it('a redirect_uri the client did not register is refused (no open redirects through PAR; RFC 9126 names it invalid_request)', async () => {
      const form = valid();
      form.set('redirect_uri', 'https://attacker.example/cb');
      const response = await push(form.toString());
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'invalid_request');
      assert.match(String(response.body.error_description), /redirect_uri/);
    });

    it('an unauthenticated push by a confidential client is refused (invalid_client)', async () => {
      const response = await push(valid().toString(), '');
      assert.equal(response.status, 401, JSON.stringify(response.body));
      assert.equal(response.body.error, 'invalid_client');
    });
  });

  it('a plain authorization request still works for clients that do not require PAR', async () => {
    const config = await discoverClient(gh.issuer, portal.id, portal.secret);
    const request = await portalAuthorization(config, { scope: 'openid', resource: CMS });
    const callback = new URL(await loginAndConsent(request.url.href, portal.redirectUri, john));
    assert.ok(callback.searchParams.get('code'));
  });
});
