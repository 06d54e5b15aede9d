import { strict as assert } from 'node:assert';

import { backend, CMS, mode, portal, postForm, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { flushStore } from './helpers/redis-flush.js';
import { introspect, revoke, userTokens } from './helpers/user-tokens.js';

describe(`introspection and revocation of opaque and JWT access tokens (${mode})`, () => {
  let gh: TestGatehouse;
  before(async () => {
    gh = await startTestGatehouse();
  });
  after(async () => gh?.stop());

  const clientToken = async (resource?: string) => {
    const { body } = await postForm(`${gh.issuer}/token`, { grant_type: 'client_credentials', ...(resource ? { resource, scope: 'cases:read' } : {}) }, backend);
    return String(body.access_token);
  };

  it('reports opaque and JWT tokens active, inactive after revocation, and still inactive after a store flush', async () => {
    const opaque = await clientToken();
    const jwt = await clientToken(CMS);
    const user = await userTokens(gh.issuer, { scope: 'openid offline_access cases:read', resource: CMS });
    const userOpaque = (await userTokens(gh.issuer, { scope: 'openid' })).access_token;
    assert.equal(opaque.split('.').length, 1, 'client_credentials without resource is opaque');
    assert.equal(user.access_token.split('.').length, 3, 'a resource token is a JWT');

    for (const [token, owner] of [[opaque, backend], [jwt, backend], [user.access_token, portal], [userOpaque, portal]] as const) {
      const answer = await introspect(gh.issuer, token, owner);
      assert.equal(answer.active, true, `active before revocation: ${JSON.stringify(answer)}`);
      assert.equal(answer.iss, gh.issuer);
      assert.ok(answer.client_id);
      assert.equal(typeof answer.exp, 'number');
    }
    const jwtAnswer = await introspect(gh.issuer, jwt, portal); // portal uses the CMS: a resource the token is for
    assert.equal(jwtAnswer.aud, CMS);
    assert.equal(jwtAnswer.scope, 'cases:read');
    assert.equal(jwtAnswer.token_type, 'Bearer');
    assert.equal(jwtAnswer.grant_id, undefined, 'internal claims are not echoed');

    const owned = [[opaque, backend], [jwt, backend], [user.access_token, portal], [userOpaque, portal]] as const;
    for (const [token, owner] of owned) {
      const { status } = await revoke(gh.issuer, token, owner);
      assert.equal(status, 200);
      assert.equal((await introspect(gh.issuer, token, owner)).active, false);
    }

    await flushStore(gh);
    for (const [token, owner] of owned) {
      assert.equal((await introspect(gh.issuer, token, owner)).active, false, 'a flush must not revive a revoked token');
    }
    // and once the revocation copy has been reloaded from Postgres
    await new Promise((r) => setTimeout(r, 200));
    for (const [token, owner] of [owned[1], owned[2]]) assert.equal((await introspect(gh.issuer, token, owner)).active, false);
  });

  it('keeps unrevoked JWTs active across a store flush', async () => {
    const jwt = await clientToken(CMS);
    await flushStore(gh);
    assert.equal((await introspect(gh.issuer, jwt, backend)).active, true);
  });

  it('revoking a user JWT access token ends its grant: the refresh token stops working', async () => {
    const user = await userTokens(gh.issuer, { scope: 'openid offline_access', resource: CMS });
    assert.equal((await revoke(gh.issuer, user.access_token)).status, 200);
    const { status, body } = await postForm(`${gh.issuer}/token`, { grant_type: 'refresh_token', refresh_token: user.refresh_token! }, portal);
    assert.equal(status, 400);
    assert.equal(body.error, 'invalid_grant');
  });

  it('answers inactive for garbage, foreign and expired-looking tokens, and refuses unauthenticated callers', async () => {
    for (const token of ['nonsense', 'a.b.c', 'eyJhbGciOiJub25lIn0.eyJqdGkiOiJ4In0.']) {
      assert.equal((await introspect(gh.issuer, token)).active, false, token);
    }
    const anonymous = await postForm(`${gh.issuer}/token/introspection`, { token: await clientToken(CMS) });
    // oidc-provider: no client authentication at all is a malformed request
    assert.equal(anonymous.status, 400);
    assert.equal(anonymous.body.error, 'invalid_request');
    assert.equal(anonymous.body.active, undefined);
    const wrongSecret = await postForm(`${gh.issuer}/token/introspection`, { token: await clientToken(CMS) }, { id: portal.id, secret: 'not-the-secret' });
    assert.equal(wrongSecret.status, 401);
    assert.equal(wrongSecret.body.error, 'invalid_client');
  });

  it("refuses to let one confidential client revoke another client's JWT", async () => {
    const jwt = await clientToken(CMS);
    const { status, body } = await revoke(gh.issuer, jwt, portal);
    assert.equal(status, 400);
    assert.equal(body.error, 'invalid_request');
    assert.equal((await introspect(gh.issuer, jwt, backend)).active, true);
  });

  it("only the token's client and clients of the token's resource may introspect it", async () => {
    const tts = { id: 'tts-backend', secret: 's3cret-value-tts' };
    const jwt = await clientToken(CMS);
    const opaque = await clientToken();
    const userOpaque = (await userTokens(gh.issuer, { scope: 'openid' })).access_token;
    assert.equal((await introspect(gh.issuer, jwt, portal)).active, true, 'portal is a client of the CMS');
    assert.equal((await introspect(gh.issuer, jwt, tts)).active, false, 'the TTS backend learns nothing of CMS tokens');
    assert.equal((await introspect(gh.issuer, opaque, portal)).active, false, "an opaque token has no audience: only its client");
    assert.equal((await introspect(gh.issuer, userOpaque, backend)).active, false);
    assert.equal((await introspect(gh.issuer, userOpaque, portal)).active, true);
  });

  it('revoking a refresh token makes the JWT access tokens of its grant inactive', async () => {
    const user = await userTokens(gh.issuer, { scope: 'openid offline_access cases:read', resource: CMS });
    assert.equal((await revoke(gh.issuer, user.refresh_token!)).status, 200);
    assert.equal((await introspect(gh.issuer, user.access_token)).active, false);
  });
});
