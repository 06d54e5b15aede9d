import { strict as assert } from 'node:assert';

import { errors } from 'oidc-provider';

import { backend, basic, CMS, mode, portal, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { revoke, userTokens } from './helpers/user-tokens.js';

/**
 * The JWT introspection shortcut (src/oidc/jwt-introspection-shortcut.ts) answers a service's
 * plain client_secret_basic introspection of a Gatehouse JWT before oidc-provider. Each case
 * asks the same question twice: once as the shortcut takes it, and once with `client_id` also in
 * the form (which the shortcut leaves to oidc-provider): the answers must be the same.
 */
describe(`JWT introspection before oidc-provider (${mode})`, () => {
  let gh: TestGatehouse;
  let providerAnswered = 0;
  before(async () => {
    gh = await startTestGatehouse();
    // oidc-provider refuses a JWT with unsupported_token_type before Gatehouse answers in its route: its mark.
    gh.gatehouse.provider().on('introspection.error', (_ctx: unknown, error: Error) => {
      if (error instanceof errors.UnsupportedTokenType) providerAnswered += 1;
    });
  });
  after(async () => gh?.stop());

  const ask = async (form: Record<string, string>, authorization: string) => {
    const response = await fetch(`${gh.issuer}/token/introspection`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization }, body: new URLSearchParams(form),
    });
    // The quota charged (RateLimit header), minus the count left, which moves between two requests.
    const quota = response.headers.get('ratelimit')?.split(';')[0];
    return { status: response.status, cacheControl: response.headers.get('cache-control'), type: response.headers.get('content-type'), quota, body: await response.json() as Record<string, unknown> };
  };
  /** The answer the shortcut gives, checked against oidc-provider's route's answer to the same question. */
  const bothWays = async (token: string, caller: { id: string; secret: string }) => {
    const before = providerAnswered;
    const shortcut = await ask({ token }, basic(caller.id, caller.secret));
    assert.equal(providerAnswered, before, 'the plain request was answered before oidc-provider');
    const provider = await ask({ token, client_id: caller.id }, basic(caller.id, caller.secret));
    assert.equal(providerAnswered, before + 1, 'the request naming client_id went to oidc-provider');
    assert.deepEqual(shortcut, provider);
    return shortcut;
  };
  const serviceToken = async () => {
    const response = await fetch(`${gh.issuer}/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(backend.id, backend.secret) },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }),
    });
    return String(((await response.json()) as Record<string, unknown>).access_token);
  };

  it('answers as oidc-provider\'s route does: active service and user tokens, a resource server asking, a stranger, a revoked token, a forged one', async () => {
    const service = await serviceToken();
    const active = await bothWays(service, backend);
    assert.equal(active.status, 200);
    assert.equal(active.cacheControl, 'no-store');
    assert.equal(active.quota, '"introspection-client"', 'charged to the client it proved to be, as oidc-provider\'s answers are');
    assert.equal(active.body.active, true);
    assert.equal(active.body.client_id, backend.id);
    assert.equal((await bothWays(service, portal)).body.active, true, 'portal serves the CMS: a resource the token is for');

    const user = await userTokens(gh.issuer, { scope: 'openid cases:read', resource: CMS });
    const userAnswer = await bothWays(user.access_token, portal);
    assert.equal(userAnswer.body.active, true);
    assert.equal(userAnswer.body.grant_id, undefined, 'internal claims stay hidden');

    await revoke(gh.issuer, service, backend);
    assert.deepEqual((await bothWays(service, backend)).body, { active: false });
    const [header, payload] = service.split('.');
    assert.deepEqual((await bothWays(`${header}.${payload}.AAAA`, backend)).body, { active: false }, 'a bad signature');
  });

  it('leaves every failure and every other kind of request to oidc-provider', async () => {
    const token = await serviceToken();
    const before = providerAnswered;
    const wrongSecret = await ask({ token }, basic(backend.id, 'wrong'));
    assert.equal(wrongSecret.status, 401);
    assert.equal(wrongSecret.body.error, 'invalid_client');
    const unknown = await ask({ token }, basic('nobody', 'x'));
    assert.equal(unknown.status, 401);
    const twice = await fetch(`${gh.issuer}/token/introspection`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(backend.id, backend.secret) }, body: `token=${token}&token=${token}`,
    });
    assert.equal(twice.status, 400, 'a repeated parameter is oidc-provider\'s invalid_request');
    const post = await ask({ token, client_id: backend.id, client_secret: backend.secret }, '');
    assert.equal(post.body.active, true, 'client_secret_post goes through oidc-provider');
    assert.equal(providerAnswered, before + 1, 'only the last one reached the JWT refusal; the others failed before it');
    // An opaque token is oidc-provider's to find.
    const opaque = await fetch(`${gh.issuer}/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(backend.id, backend.secret) }, body: 'grant_type=client_credentials',
    });
    const opaqueToken = String(((await opaque.json()) as Record<string, unknown>).access_token);
    assert.equal((await ask({ token: opaqueToken }, basic(backend.id, backend.secret))).body.active, true);
  });
});
