import assert from 'node:assert/strict';

import { createVerifier } from '@gatehouse/verifier';
import { generateKeyPair, SignJWT } from 'jose';

import { TOKEN_EXCHANGE_GRANT } from '../src/domain/schemas/client-schemas.js';
import { backend, basic, CMS, mode, postForm, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { api, opsService, otto, serviceToken } from './helpers/management-api.js';
import { introspect, revoke, userTokens } from './helpers/user-tokens.js';

const TTS = 'https://tts.example';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const ttsBackend = { id: 'tts-backend', secret: 's3cret-value-tts' };

const decode = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, any>;

describe(`token exchange (RFC 8693): a service acts for a user at another resource (${mode})`, () => {
  let gh: TestGatehouse;
  let ops: string;
  /** cms-exchanger serves the case service and may exchange its users' tokens for the ticketing service. */
  const exchanger = { id: 'cms-exchanger', secret: '' };
  /** tts-relay serves ticketing and may exchange back to the case service: a second hop. */
  const relay = { id: 'tts-relay', secret: '' };

  const exchange = (form: Record<string, string>, client: { id: string; secret: string } = exchanger) => postForm(`${gh.issuer}/token`, { grant_type: TOKEN_EXCHANGE_GRANT, ...form }, client);
  /** Otto (lab-2 admin; agent on ticketing in lab-2 only) signed in to the portal, for the case service. */
  const ottoAtCms = async () => (await userTokens(gh.issuer, { user: otto, scope: 'openid cases:read', resource: CMS })).access_token;

  before(async () => {
    gh = await startTestGatehouse();
    ops = await serviceToken(gh.issuer, opsService);
    const created = await api(gh.issuer, ops, 'POST', '/clients', {
      clientId: exchanger.id, grantTypes: [TOKEN_EXCHANGE_GRANT], resources: [CMS, TTS], resourceScopes: ['tickets:read'], tokenExchangeResources: [TTS],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body.tokenExchangeResources, [TTS]);
    exchanger.secret = created.body.clientSecret;
    const second = await api(gh.issuer, ops, 'POST', '/clients', {
      clientId: relay.id, grantTypes: [TOKEN_EXCHANGE_GRANT], resources: [TTS, CMS], resourceScopes: ['cases:read'], tokenExchangeResources: [CMS],
    });
    assert.equal(second.status, 201, JSON.stringify(second.body));
    relay.secret = second.body.clientSecret;
  });
  after(async () => gh?.stop());

  it('exchanges a user\'s token for one that verifies at the target with @gatehouse/verifier, carrying act, the lab and the user\'s roles there', async () => {
    const subject = await ottoAtCms();
    const { status, body } = await exchange({ subject_token: subject, subject_token_type: ACCESS_TOKEN_TYPE, resource: TTS, scope: 'tickets:read' });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.issued_token_type, ACCESS_TOKEN_TYPE);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.scope, 'tickets:read');
    assert.ok(typeof body.expires_in === 'number' && body.expires_in <= 300, 'never outlives the subject token (the case service\'s 300 s)');

    const claims = await createVerifier({ issuer: gh.issuer, audience: TTS }).verify(String(body.access_token));
    const original = decode(subject);
    assert.equal(claims.sub, original.sub);
    assert.equal(claims.client_id, exchanger.id);
    assert.deepEqual(claims.act, { sub: exchanger.id, client_id: exchanger.id });
    assert.equal(claims.lab_id, 'lab-2');
    assert.equal(claims.lab_role, 'admin');
    assert.deepEqual(claims.roles, ['agent']);
    assert.equal(claims.scope, 'tickets:read');
    // Signed with the current key, like every token oidc-provider mints.
    const header = JSON.parse(Buffer.from(String(body.access_token).split('.')[0]!, 'base64url').toString()) as { kid: string; typ: string };
    assert.equal(header.kid, JSON.parse(Buffer.from(subject.split('.')[0]!, 'base64url').toString()).kid);
    assert.equal(header.typ, 'at+jwt');

    // The target resource server sees it active, with act, through introspection.
    const seen = await introspect(gh.issuer, String(body.access_token), ttsBackend);
    assert.equal(seen.active, true);
    assert.deepEqual(seen.act, { sub: exchanger.id, client_id: exchanger.id });
  });

  it('nests act when an exchanged token is exchanged again', async () => {
    const first = await exchange({ subject_token: await ottoAtCms(), subject_token_type: ACCESS_TOKEN_TYPE, resource: TTS });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const second = await exchange({ subject_token: String(first.body.access_token), subject_token_type: ACCESS_TOKEN_TYPE, resource: CMS }, relay);
    assert.equal(second.status, 200, JSON.stringify(second.body));
    const claims = await createVerifier({ issuer: gh.issuer, audience: CMS }).verify(String(second.body.access_token));
    assert.deepEqual(claims.act, { sub: relay.id, client_id: relay.id, act: { sub: exchanger.id, client_id: exchanger.id } });
    assert.equal(claims.lab_id, 'lab-2');
  });

  it('records each exchange in the audit log: the acting client, the user and the new token', async () => {
    const subject = await ottoAtCms();
    const { body } = await exchange({ subject_token: subject, subject_token_type: ACCESS_TOKEN_TYPE, resource: TTS });
    const jti = decode(String(body.access_token)).jti as string;
    const audit = await api(gh.issuer, ops, 'GET', `/audit?action=token.exchanged&actor=client:${exchanger.id}`);
    assert.equal(audit.status, 200, JSON.stringify(audit.body));
    const row = (audit.body.items as Array<{ target: string; details: Record<string, unknown> }>).find((r) => r.details.jti === jti);
    assert.ok(row, 'an audit row names the exchanged token');
    assert.equal(row.target, `user:${decode(subject).sub}`);
    assert.equal(row.details.subject_jti, decode(subject).jti);
    assert.equal(row.details.aud, TTS);
    assert.equal(row.details.lab_id, 'lab-2');
  });

  it('refuses a target the client may not exchange for with invalid_target, and a scope it may not have with invalid_scope', async () => {
    const subject = await ottoAtCms();
    const base = { subject_token: subject, subject_token_type: ACCESS_TOKEN_TYPE };
    for (const resource of [CMS, 'https://unknown.example', `${gh.issuer}/api`]) {
      const { status, body } = await exchange({ ...base, resource });
      assert.equal(status, 400);
      assert.equal(body.error, 'invalid_target', `${resource}: ${JSON.stringify(body)}`);
    }
    for (const scope of ['cases:read', 'tickets:read users:write', 'openid']) {
      const { status, body } = await exchange({ ...base, resource: TTS, scope });
      assert.equal(status, 400);
      assert.equal(body.error, 'invalid_scope', `${scope}: ${JSON.stringify(body)}`);
    }
  });

  it('refuses a revoked subject token, and ends exchanged tokens with the user\'s grant', async () => {
    const subject = await ottoAtCms();
    const issued = await exchange({ subject_token: subject, subject_token_type: ACCESS_TOKEN_TYPE, resource: TTS });
    assert.equal(issued.status, 200);
    assert.equal((await revoke(gh.issuer, subject)).status, 200);
    const { status, body } = await exchange({ subject_token: subject, subject_token_type: ACCESS_TOKEN_TYPE, resource: TTS });
    assert.equal(status, 400);
    assert.equal(body.error, 'invalid_grant');
    assert.equal((await introspect(gh.issuer, String(issued.body.access_token), ttsBackend)).active, false);
  });

  it('lets the acting service revoke its exchanged token without ending the user\'s grant with the portal', async () => {
    const subject = await ottoAtCms();
    const issued = await exchange({ subject_token: subject, subject_token_type: ACCESS_TOKEN_TYPE, resource: TTS });
    assert.equal((await revoke(gh.issuer, String(issued.body.access_token), exchanger)).status, 200);
    assert.equal((await introspect(gh.issuer, String(issued.body.access_token), ttsBackend)).active, false);
    assert.equal((await introspect(gh.issuer, subject)).active, true);
  });

  it('refuses tokens of another issuer, forged or tampered ones, service tokens and tokens for a resource the client does not serve with invalid_grant', async () => {
    const subject = await ottoAtCms();
    const claims = decode(subject);
    const ourKid = (JSON.parse(Buffer.from(subject.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
    const { privateKey } = await generateKeyPair('RS256');
    const forge = (payload: Record<string, unknown>) => new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: ourKid }).sign(privateKey);
    const [h, , s] = subject.split('.');
    const tampered = [h, Buffer.from(JSON.stringify({ ...claims, lab_id: 'lab-1' })).toString('base64url'), s].join('.');
    const serviceTokenForCms = String((await postForm(`${gh.issuer}/token`, { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }, backend)).body.access_token);
    // A client that serves only the ticketing service: a token for the case service was never presented to it.
    const ticketsOnly = await api(gh.issuer, ops, 'POST', '/clients', { clientId: 'tts-only-exchanger', grantTypes: [TOKEN_EXCHANGE_GRANT], resources: [TTS], tokenExchangeResources: [TTS] });
    assert.equal(ticketsOnly.status, 201, JSON.stringify(ticketsOnly.body));
    const cases: Array<[string, string, { id: string; secret: string }]> = [
      ['another issuer', await forge({ ...claims, iss: 'https://evil.example' }), exchanger],
      ['forged with our kid', await forge(claims), exchanger],
      ['tampered payload', tampered, exchanger],
      ['garbage', 'not-a-jwt', exchanger],
      ['a service token (no user to act for)', serviceTokenForCms, exchanger],
      ['not issued for a resource the client serves', subject, { id: 'tts-only-exchanger', secret: String(ticketsOnly.body.clientSecret) }],
    ];
    for (const [name, token, client] of cases) {
      const { status, body } = await exchange({ subject_token: token, subject_token_type: ACCESS_TOKEN_TYPE, resource: TTS }, client);
      assert.equal(status, 400, name);
      assert.equal(body.error, 'invalid_grant', `${name}: ${JSON.stringify(body)}`);
    }
  });

  it('refuses missing or unsupported parameters with invalid_request, and clients without the grant with an OAuth error', async () => {
    const subject = await ottoAtCms();
    const cases: Array<[string, Record<string, string>, string]> = [
      ['no subject_token', { subject_token_type: ACCESS_TOKEN_TYPE, resource: TTS }, 'invalid_request'],
      ['no subject_token_type', { subject_token: subject, resource: TTS }, 'invalid_request'],
      ['no resource', { subject_token: subject, subject_token_type: ACCESS_TOKEN_TYPE }, 'invalid_request'],
      ['an id token type', { subject_token: subject, subject_token_type: 'urn:ietf:params:oauth:token-type:id_token', resource: TTS }, 'invalid_request'],
      ['a refresh token requested', { subject_token: subject, subject_token_type: ACCESS_TOKEN_TYPE, resource: TTS, requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }, 'invalid_request'],
      ['a NUL in the subject token', { subject_token: 'a\u0000b', subject_token_type: ACCESS_TOKEN_TYPE, resource: TTS }, 'invalid_request'],
      ['impersonation by actor_token', { subject_token: subject, subject_token_type: ACCESS_TOKEN_TYPE, resource: TTS, actor_token: subject, actor_token_type: ACCESS_TOKEN_TYPE }, 'invalid_request'],
    ];
    for (const [name, form, error] of cases) {
      const { status, body } = await exchange(form);
      assert.equal(status, 400, name);
      assert.equal(body.error, error, `${name}: ${JSON.stringify(body)}`);
    }
    // Two resources at once: a duplicate parameter.
    const twice = await fetch(`${gh.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${exchanger.id}:${exchanger.secret}`).toString('base64')}` },
      body: `grant_type=${encodeURIComponent(TOKEN_EXCHANGE_GRANT)}&subject_token=${subject}&subject_token_type=${encodeURIComponent(ACCESS_TOKEN_TYPE)}&resource=${encodeURIComponent(TTS)}&resource=${encodeURIComponent(CMS)}`,
    });
    assert.equal(twice.status, 400);
    assert.equal(((await twice.json()) as { error: string }).error, 'invalid_request');
    // A client without the grant type (cms-backend uses client_credentials only).
    const other = await exchange({ subject_token: subject, subject_token_type: ACCESS_TOKEN_TYPE, resource: TTS }, backend);
    assert.equal(other.status, 400);
    assert.match(String(other.body.error), /^(unauthorized_client|invalid_request)$/);
  });

  it('refuses a DPoP proof rather than ignoring it: exchanged tokens are not bound yet', async () => {
    const subject = await ottoAtCms();
    const response = await fetch(`${gh.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(exchanger.id, exchanger.secret), dpop: 'eyJhbGciOiJFUzI1NiJ9.e30.sig' },
      body: new URLSearchParams({ grant_type: TOKEN_EXCHANGE_GRANT, subject_token: subject, subject_token_type: ACCESS_TOKEN_TYPE, resource: TTS }),
    });
    assert.equal(response.status, 400);
    const body = await response.json() as { error: string; error_description: string };
    assert.equal(body.error, 'invalid_request');
    assert.match(body.error_description, /DPoP/);
  });
});
