import { strict as assert } from 'node:assert';

import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';

import { backend, basic, CMS, mode, portal, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';

/**
 * The client_credentials shortcut (src/oidc/client-credentials-shortcut.ts) mints a service's
 * plain client_secret_basic token before oidc-provider. Each case asks for a token twice: once
 * as the shortcut takes the request, and once with `client_id` also in the form (which the
 * shortcut leaves to oidc-provider). The answers must be alike: same status, headers and
 * members, and tokens with the same header and claims but their own jti and times.
 */
describe(`client_credentials tokens minted before oidc-provider (${mode})`, () => {
  let gh: TestGatehouse;
  let providerAnswered = 0;
  let jwks: ReturnType<typeof createLocalJWKSet>;
  before(async () => {
    gh = await startTestGatehouse();
    // Emitted by oidc-provider's token route only: its mark.
    gh.gatehouse.provider().on('grant.success', () => { providerAnswered += 1; });
    jwks = createLocalJWKSet(await (await fetch(`${gh.issuer}/jwks`)).json() as JSONWebKeySet);
  });
  after(async () => gh?.stop());

  const ask = async (form: Record<string, string>, authorization: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${gh.issuer}/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization, ...headers }, body: new URLSearchParams(form),
    });
    const quota = response.headers.get('ratelimit')?.split(';')[0];
    return { status: response.status, cacheControl: response.headers.get('cache-control'), type: response.headers.get('content-type'), quota, body: await response.json() as Record<string, unknown> };
  };
  const withoutToken = ({ body, ...rest }: Awaited<ReturnType<typeof ask>>) => {
    const { access_token: _token, ...members } = body;
    return { ...rest, members };
  };
  const timeless = (token: string) => {
    const { jti, iat, exp, ...claims } = decodeJwt(token);
    assert.match(String(jti), /^[A-Za-z0-9_-]{43}$/, 'a jti as long as oidc-provider\'s');
    return { claims, lifetime: Number(exp) - Number(iat) };
  };

  /** The shortcut's answer, checked against oidc-provider's answer to the same request. */
  const bothWays = async (form: Record<string, string>, caller: { id: string; secret: string }) => {
    const before = providerAnswered;
    const shortcut = await ask(form, basic(caller.id, caller.secret));
    assert.equal(providerAnswered, before, 'the plain request was answered before oidc-provider');
    const provider = await ask({ ...form, client_id: caller.id }, basic(caller.id, caller.secret));
    assert.equal(providerAnswered, before + 1, 'the request naming client_id went to oidc-provider');
    assert.equal(shortcut.status, 200, JSON.stringify(shortcut.body));
    assert.deepEqual(withoutToken(shortcut), withoutToken(provider));
    const [mine, theirs] = [String(shortcut.body.access_token), String(provider.body.access_token)];
    assert.deepEqual(decodeProtectedHeader(mine), decodeProtectedHeader(theirs), 'same alg, typ and kid');
    assert.deepEqual(timeless(mine), timeless(theirs));
    await jwtVerify(mine, jwks, { issuer: gh.issuer, typ: 'at+jwt' });
    return shortcut;
  };

  it('mints the token oidc-provider mints: with and without a scope, the roles of the service, a signature of the published key', async () => {
    const token = await bothWays({ grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }, backend);
    assert.equal(token.cacheControl, 'no-store');
    assert.equal(token.quota, '"token-client"', 'charged to the client it proved to be, as oidc-provider\'s answers are');
    assert.deepEqual([token.body.token_type, token.body.scope], ['Bearer', 'cases:read']);
    const claims = decodeJwt(String(token.body.access_token));
    assert.deepEqual([claims.sub, claims.client_id, claims.aud], [backend.id, backend.id, CMS]);

    const unscoped = await bothWays({ grant_type: 'client_credentials', resource: CMS }, backend);
    assert.equal(unscoped.body.scope, undefined);
    await bothWays({ grant_type: 'client_credentials', resource: CMS, scope: 'cases:write cases:read cases:write' }, portal);

    // A token minted here is a token like any other: introspection says active.
    const introspected = await fetch(`${gh.issuer}/token/introspection`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(backend.id, backend.secret) },
      body: new URLSearchParams({ token: String(token.body.access_token) }),
    });
    assert.equal(((await introspected.json()) as { active?: boolean }).active, true);
  });

  it('uses the client\'s default resource when the request names none', async () => {
    const created = await gh.gatehouse.services.clients.create({ actor: 'test' }, {
      clientId: 'cms-nightly', grantTypes: ['client_credentials'], resources: [CMS], resourceScopes: ['cases:read'], defaultResource: CMS,
    });
    const token = await bothWays({ grant_type: 'client_credentials', scope: 'cases:read' }, { id: 'cms-nightly', secret: created.clientSecret! });
    assert.equal(decodeJwt(String(token.body.access_token)).aud, CMS);
  });

  it('leaves every failure and every request it cannot answer alike to oidc-provider', async () => {
    const plain = { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' };
    const cases: Array<[string, Promise<Awaited<ReturnType<typeof ask>>>, number]> = [
      ['a wrong secret', ask(plain, basic(backend.id, 'wrong')), 401],
      ['an unknown client', ask(plain, basic('nobody', 'x')), 401],
      ['a resource the client may not use', ask({ ...plain, resource: 'https://tts.example' }, basic(backend.id, backend.secret)), 400],
      ['a scope the resource does not offer', ask({ ...plain, scope: 'cases:read tickets:read' }, basic(backend.id, backend.secret)), 200],
      ['no resource (an opaque token)', ask({ grant_type: 'client_credentials' }, basic(backend.id, backend.secret)), 200],
      ['client_secret_post', ask({ ...plain, client_id: backend.id, client_secret: backend.secret }, ''), 200],
      ['a DPoP proof', ask(plain, basic(backend.id, backend.secret), { dpop: 'not.a.proof' }), 400],
    ];
    const before = providerAnswered;
    for (const [what, answer, status] of cases) assert.equal((await answer).status, status, what);
    // The requests that succeeded went through oidc-provider's route (grant.success), the others failed in it.
    assert.equal(providerAnswered, before + 3);
    const opaque = await ask({ grant_type: 'client_credentials' }, basic(backend.id, backend.secret));
    assert.equal(String(opaque.body.access_token).split('.').length, 1, 'no resource: oidc-provider\'s opaque token');
    const twice = await fetch(`${gh.issuer}/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(portal.id, portal.secret) },
      body: `grant_type=client_credentials&resource=${encodeURIComponent(CMS)}&resource=${encodeURIComponent(`${gh.issuer}/api`)}`,
    });
    assert.equal(twice.status, 400, 'two resources: oidc-provider\'s invalid_target');
    assert.equal(((await twice.json()) as { error?: string }).error, 'invalid_target');
  });
});
