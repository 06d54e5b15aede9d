import { strict as assert } from 'node:assert';

import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';

import { loginAndConsent } from './helpers/form-login.js';
import { CMS, john, mode, portal, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { discoverClient } from './helpers/relying-party.js';

describe(`a plain OAuth 2.1 authorization request: no scope, no openid (${mode})`, () => {
  let gh: TestGatehouse;
  before(async () => {
    gh = await startTestGatehouse();
  });
  after(async () => gh?.stop());

  it('gets a code and an access token for the resource carrying the client\'s scopes there, and no ID token (openid-client as the client)', async () => {
    const config = await discoverClient(gh.issuer, portal.id, portal.secret);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: portal.redirectUri, state, resource: CMS,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    assert.equal(url.searchParams.get('scope'), null, 'the request names no scope');
    const callback = new URL(await loginAndConsent(url.href, portal.redirectUri, john));
    assert.equal(callback.searchParams.get('error'), null, callback.href);
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state }, { resource: CMS });
    assert.equal(tokens.id_token, undefined);
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.aud, CMS);
    // The default: what the client may ask of the resource.
    assert.deepEqual(String(claims.scope).split(' ').sort(), ['cases:read', 'cases:write']);
  });
});
