import { strict as assert } from 'node:assert';

import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';

import { backend, CMS, mode, postForm, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';

describe(`client_credentials with a resource issues RS256 at+jwt verifiable offline (${mode})`, () => {
  let gh: TestGatehouse;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  before(async () => {
    gh = await startTestGatehouse();
    const discovery = (await (await fetch(`${gh.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;
    assert.equal(discovery.issuer, gh.issuer);
    jwks = createRemoteJWKSet(new URL(discovery.jwks_uri!));
  });

  it('publishes OIDC discovery and the same RFC 8414 metadata', async () => {
    const oidc = (await (await fetch(`${gh.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    const oauth = (await (await fetch(`${gh.issuer}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    assert.deepEqual(oauth, oidc);
    assert.ok(oidc.introspection_endpoint && oidc.revocation_endpoint && oidc.end_session_endpoint && oidc.userinfo_endpoint);
    assert.deepEqual(oidc.id_token_signing_alg_values_supported, ['RS256']);
    assert.deepEqual(oidc.code_challenge_methods_supported, ['S256']);
    assert.deepEqual((oidc.grant_types_supported as string[]).sort(), ['authorization_code', 'client_credentials', 'refresh_token', 'urn:ietf:params:oauth:grant-type:token-exchange']);
  });
  after(async () => gh?.stop());

  const issue = (form: Record<string, string> = {}) =>
    postForm(`${gh.issuer}/token`, { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read', ...form }, backend);

  it('returns a JWT that jose verifies against the published JWKS with the right iss, aud, typ and exp', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { status, body } = await issue();
    assert.equal(status, 200);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 300);
    const token = String(body.access_token);
    assert.equal(decodeProtectedHeader(token).alg, 'RS256');
    const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: gh.issuer, audience: CMS, typ: 'at+jwt', algorithms: ['RS256'] });
    assert.equal(protectedHeader.typ, 'at+jwt');
    assert.equal(payload.client_id, backend.id);
    assert.equal(payload.sub, backend.id);
    assert.equal(payload.scope, 'cases:read');
    assert.equal(typeof payload.jti, 'string');
    assert.ok(payload.exp! >= before + 300 && payload.exp! <= before + 302, `exp ${payload.exp} is the resource's 300 s TTL`);
  });

  it('a tampered token fails verification', async () => {
    const token = String((await issue()).body.access_token);
    const [h, p, s] = token.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
    claims.scope = 'cases:read cases:write';
    const forged = [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), s].join('.');
    await assert.rejects(jwtVerify(forged, jwks, { issuer: gh.issuer, audience: CMS }), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
    const flipped = `${token.slice(0, -4)}${token.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    await assert.rejects(jwtVerify(flipped, jwks, { issuer: gh.issuer, audience: CMS }));
  });

  it('refuses a resource the client may not use and an unknown resource with invalid_target', async () => {
    for (const resource of ['https://tts.example', 'https://unknown.example']) {
      const { status, body } = await issue({ resource });
      assert.equal(status, 400);
      assert.equal(body.error, 'invalid_target');
    }
  });

  it('grants only the resource scopes the client holds', async () => {
    const { body } = await issue({ scope: 'cases:read cases:write' });
    const { payload } = await jwtVerify(String(body.access_token), jwks, { issuer: gh.issuer, audience: CMS });
    assert.equal(payload.scope, 'cases:read');
  });
});
