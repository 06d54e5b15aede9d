import { strict as assert } from 'node:assert';

import * as oidc from 'openid-client';

import { loginAndConsent } from './helpers/form-login.js';
import { discoverClient, portalAuthorization } from './helpers/relying-party.js';
import { CMS, john, mode, portal, postForm, spa, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';

describe(`authorization code + PKCE with openid-client as the relying party (${mode})`, () => {
  let gh: TestGatehouse;
  before(async () => {
    gh = await startTestGatehouse();
  });
  after(async () => gh?.stop());

  const discover = (clientId: string, secret?: string) => discoverClient(gh.issuer, clientId, secret);

  it('logs in through the real login and consent forms, validates the RS256 ID token, and calls userinfo', async () => {
    const config = await discover(portal.id, portal.secret);
    const { url, verifier, state, nonce } = await portalAuthorization(config, { scope: 'openid profile email labs' });
    const callback = await loginAndConsent(url.href, portal.redirectUri, john);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });

    const header = JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString()) as { alg: string };
    assert.equal(header.alg, 'RS256');
    const claims = tokens.claims()!;
    assert.equal(claims.iss, gh.issuer);
    assert.equal(claims.aud, portal.id);
    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert.equal(info.sub, claims.sub);
    assert.equal(info.preferred_username, 'john');
    assert.equal(info.email, 'john@test.com');
    assert.equal(info.given_name, 'John');
    assert.deepEqual(info.labs, [{ id: 'lab-1', name: 'Test Lab', role: 'member' }]);
  });

  it('requires PKCE (S256) from public clients and accepts it from them', async () => {
    const config = await discover(spa.id);
    const withoutPkce = new URL(`${gh.issuer}/auth`);
    withoutPkce.search = new URLSearchParams({ client_id: spa.id, response_type: 'code', scope: 'openid', redirect_uri: spa.redirectUri }).toString();
    const refused = await fetch(withoutPkce, { redirect: 'manual' });
    const location = new URL(refused.headers.get('location')!);
    assert.equal(location.origin + location.pathname, spa.redirectUri);
    assert.equal(location.searchParams.get('error'), 'invalid_request');
    assert.match(location.searchParams.get('error_description')!, /PKCE/);

    const plain = new URL(withoutPkce);
    plain.searchParams.set('code_challenge', 'x'.repeat(43));
    plain.searchParams.set('code_challenge_method', 'plain');
    const plainRefused = new URL((await fetch(plain, { redirect: 'manual' })).headers.get('location')!);
    assert.equal(plainRefused.searchParams.get('error'), 'invalid_request');

    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: spa.redirectUri, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const callback = await loginAndConsent(url.href, spa.redirectUri, john);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, idTokenExpected: true });
    assert.ok(tokens.id_token);
  });

  it('rejects a wrong PKCE verifier and a redirect URI that is not an exact match', async () => {
    const config = await discover(portal.id, portal.secret);
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: portal.redirectUri, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const callback = new URL(await loginAndConsent(url.href, portal.redirectUri, john));
    const wrong = await postForm(`${gh.issuer}/token`, {
      grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: portal.redirectUri, code_verifier: oidc.randomPKCECodeVerifier(),
    }, { id: portal.id, secret: portal.secret });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error, 'invalid_grant');

    for (const redirect of [`${portal.redirectUri}/`, `${portal.redirectUri}?x=1`, 'http://127.0.0.1:8081/CB', 'http://evil.example/cb']) {
      const bad = new URL(url);
      bad.searchParams.set('redirect_uri', redirect);
      const response = await fetch(bad, { redirect: 'manual', headers: { accept: 'application/json' } });
      assert.equal(response.status, 400, redirect);
      assert.equal(response.headers.get('location'), null, `must not redirect to ${redirect}`);
    }
  });

  it('issues an RS256 at+jwt for a resource in the code flow', async () => {
    const config = await discover(portal.id, portal.secret);
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: portal.redirectUri, scope: 'openid cases:read', resource: CMS,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const callback = await loginAndConsent(url.href, portal.redirectUri, john);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier });
    const [header, payload] = tokens.access_token.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()));
    assert.equal(header.typ, 'at+jwt');
    assert.equal(header.alg, 'RS256');
    assert.equal(payload.aud, CMS);
    assert.equal(payload.client_id, portal.id);
    assert.equal(payload.scope, 'cases:read');
    assert.equal(payload.exp - payload.iat, 300);
  });
});
