import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';

import Router from '@koa/router';
import { exportSPKI, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import Koa from 'koa';

import { createVerifier, koaAuth, koaRequire, requireRole, requireScope, type GatehouseClaims, type VerifierErrorCode, type VerifierOptions } from '@gatehouse/verifier';
import { backend, CMS, mode, postForm, readJsonBody, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';

// --- small local tools --------------------------------------------------------------------------

const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A fetch that records every URL it is asked for, so tests can count JWKS and discovery calls. */
function countingFetch() {
  const urls: string[] = [];
  const fetchImpl: typeof fetch = (input, init) => {
    urls.push(String(input instanceof Request ? input.url : input));
    return fetch(input, init);
  };
  return { fetch: fetchImpl, urls, count: (suffix: string) => urls.filter((u) => u.endsWith(suffix)).length };
}

/** Awaits a rejection with a VerifierError of this code (and status, and message matching). */
const rejectsWith = (promise: Promise<unknown>, code: VerifierErrorCode, status?: number, message?: RegExp) =>
  assert.rejects(promise, { name: 'VerifierError', code, ...(status === undefined ? {} : { status }), ...(message === undefined ? {} : { message }) });

async function listen(server: Server): Promise<string> {
  if (!server.listening) await new Promise<void>((resolve) => server.once('listening', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  return { status: response.status, headers: response.headers, body: await readJsonBody(response) };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

// --- against a real Gatehouse --------------------------------------------------------------------

describe(`@gatehouse/verifier against a real Gatehouse (${mode})`, () => {
  let gh: TestGatehouse;
  before(async () => {
    gh = await startTestGatehouse();
  });
  after(async () => gh?.stop());

  const serviceToken = async (scope = 'cases:read') => {
    const { status, body } = await postForm(`${gh.issuer}/token`, { grant_type: 'client_credentials', resource: CMS, scope }, backend);
    assert.equal(status, 200, JSON.stringify(body));
    return String(body.access_token);
  };
  const options = (extra: Partial<VerifierOptions> = {}): VerifierOptions => ({ issuer: gh.issuer, audience: CMS, ...extra });
  const publishedJwk = async () => ((await (await fetch(`${gh.issuer}/jwks`)).json()) as { keys: JWK[] }).keys[0]!;

  it('accepts a client_credentials token and returns only the typed RFC 9068 claims, frozen', async () => {
    const counter = countingFetch();
    const verifier = createVerifier(options({ fetch: counter.fetch }));
    const claims = await verifier.verify(await serviceToken());
    assert.equal(claims.iss, gh.issuer);
    assert.equal(claims.aud, CMS);
    assert.equal(claims.sub, backend.id);
    assert.equal(claims.client_id, backend.id);
    assert.equal(claims.scope, 'cases:read');
    assert.deepEqual(claims.roles, ['manager']);
    assert.equal(claims.lab_id, undefined);
    assert.ok(claims.exp > claims.iat && typeof claims.jti === 'string');
    assert.equal((claims as unknown as Record<string, unknown>).grant_id, undefined, 'internal claims are dropped');
    assert.ok(Object.isFrozen(claims));
    for (let i = 0; i < 20; i++) await verifier.verify(await serviceToken());
    assert.equal(counter.count('/.well-known/openid-configuration'), 1, 'discovery is fetched once');
    assert.equal(counter.count('/jwks'), 1, 'the JWKS is fetched once and cached');
  });

  it('rejects a real token whose payload was altered after signing', async () => {
    const verifier = createVerifier(options());
    const [h, p, s] = (await serviceToken()).split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    claims.scope = 'cases:read cases:write';
    await rejectsWith(verifier.verify([h, b64(claims), s].join('.')), 'token_invalid', 401, /signature/);
  });

  it('rejects a real token at a service with another audience', async () => {
    const verifier = createVerifier(options({ audience: 'https://tts.example' }));
    await rejectsWith(verifier.verify(await serviceToken()), 'token_invalid', 401, /audience/);
  });

  it('rejects alg none and HS256 tokens keyed with the RSA public key (PEM and JWK bytes) without fetching keys', async () => {
    const counter = countingFetch();
    const verifier = createVerifier(options({ fetch: counter.fetch }));
    const jwk = await publishedJwk();
    const pem = await exportSPKI((await importJWK(jwk, 'RS256', { extractable: true })) as CryptoKey);
    const claims = { iss: gh.issuer, aud: CMS, sub: backend.id, client_id: backend.id, jti: randomUUID(), iat: now(), exp: now() + 300, scope: 'cases:read cases:write' };
    const forged = [];
    for (const secret of [pem, JSON.stringify(jwk)]) {
      forged.push(await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: jwk.kid! }).sign(new TextEncoder().encode(secret)));
    }
    forged.push(`${b64({ alg: 'none', typ: 'at+jwt', kid: jwk.kid })}.${b64(claims)}.`);
    for (const token of forged) await rejectsWith(verifier.verify(token), 'token_invalid', 401, /RS256/);
    assert.equal(counter.urls.length, 0, 'an algorithm outside the pin never reaches the key set');
  });

  it('rejects a token signed by an unknown key, and 50 more unknown kids cost at most one JWKS refetch', async () => {
    const attacker = await generateKeyPair('RS256');
    const forge = (kid: string) => new SignJWT({ iss: gh.issuer, aud: CMS, sub: 'x', client_id: 'x', jti: randomUUID(), iat: now(), exp: now() + 300 })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid }).sign(attacker.privateKey);
    const flood = () => Promise.all(Array.from({ length: 50 }, () => forge(randomUUID())));
    const [cold, warm, afterCooldown] = [await flood(), await flood(), await flood()];

    // A cold verifier hit by the flood first: one discovery, one JWKS fetch, shared by all 50.
    const coldCounter = countingFetch();
    const coldVerifier = createVerifier(options({ fetch: coldCounter.fetch }));
    await Promise.all(cold.map((token) => rejectsWith(coldVerifier.verify(token), 'token_invalid', 401, /unknown key/)));
    assert.deepEqual([coldCounter.count('/.well-known/openid-configuration'), coldCounter.count('/jwks')], [1, 1]);

    // Within the cooldown after a fetch (default 30 s): no refetch at all.
    const counter = countingFetch();
    const verifier = createVerifier(options({ fetch: counter.fetch }));
    await verifier.verify(await serviceToken());
    await Promise.all(warm.map((token) => rejectsWith(verifier.verify(token), 'token_invalid', 401, /unknown key/)));
    assert.equal(counter.count('/jwks'), 1, 'unknown kids within the cooldown fetch nothing');

    // Once a cooldown has passed (shortened here: jose reads the wall clock), a concurrent flood
    // shares one refetch, which restarts the cooldown for the unknown kids that follow.
    const shortCounter = countingFetch();
    const short = createVerifier(options({ fetch: shortCounter.fetch, jwksCooldownMs: 100 }));
    await short.verify(await serviceToken());
    await new Promise((resolve) => setTimeout(resolve, 150));
    await Promise.all(afterCooldown.map((token) => rejectsWith(short.verify(token), 'token_invalid')));
    await Promise.all(afterCooldown.slice(0, 10).map((token) => rejectsWith(short.verify(token), 'token_invalid')));
    assert.equal(shortCounter.count('/jwks'), 2, `JWKS fetched ${shortCounter.count('/jwks')} times for 1 + 60 verifications`);
    await short.verify(await serviceToken());
  });

  it('introspects a live token as active, a revoked one as inactive, and reuses answers for cacheMs', async () => {
    const introspection = { clientId: backend.id, clientSecret: backend.secret };
    const cached = createVerifier(options({ introspection: { ...introspection, cacheMs: 60_000 } }));
    const uncached = createVerifier(options({ introspection: { ...introspection, cacheMs: 0 } }));
    const token = await serviceToken();
    assert.equal(await cached.introspect(token), true);
    assert.equal(await uncached.introspect(token), true);
    const { status } = await postForm(`${gh.issuer}/token/revocation`, { token }, backend);
    assert.equal(status, 200);
    assert.equal(await uncached.introspect(token), false, 'revocation is visible to introspection');
    assert.equal(await cached.introspect(token), true, 'a cached answer is reused until cacheMs passes');
    const wrongSecret = createVerifier(options({ introspection: { clientId: backend.id, clientSecret: 'wrong' } }));
    await rejectsWith(wrongSecret.introspect(token), 'introspection_unavailable', 503);
  });

  it('serves a Koa route with a real token and refuses it where cases:write is needed', async () => {
    const verifier = createVerifier(options());
    const router = new Router();
    router.get('/read', koaRequire(requireScope('cases:read'), requireRole('manager')), (ctx) => { ctx.body = { sub: (ctx.state.auth as GatehouseClaims).sub }; });
    router.get('/write', koaRequire(requireScope('cases:write')), (ctx) => { ctx.body = {}; });
    const server = new Koa().use(koaAuth(verifier)).use(router.routes()).listen(0, '127.0.0.1');
    try {
      const base = await listen(server);
      const token = await serviceToken();
      const read = await get(`${base}/read`, bearer(token));
      assert.equal(read.status, 200);
      assert.deepEqual(read.body, { sub: backend.id });
      const write = await get(`${base}/write`, bearer(token));
      assert.equal(write.status, 403);
      assert.equal(write.headers.get('www-authenticate'), `Bearer realm="${CMS}", error="insufficient_scope", error_description="this request needs scope cases:write", scope="cases:write"`);
    } finally {
      server.close();
    }
  });
});

describe('gatehouse/verifier, the server package\'s export kept for compatibility', () => {
  it('resolves through package.json exports to the very API of @gatehouse/verifier', async () => {
    const specifier = 'gatehouse/verifier';
    const compat = (await import(specifier)) as Record<string, unknown>;
    const verifierPackage = (await import('@gatehouse/verifier')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(verifierPackage).sort(), [
      'VerifierError', 'clientCredentialsToken', 'createRevocationFeed', 'createVerifier', 'expressAuth', 'expressProtectedResource', 'expressRequire',
      'koaAuth', 'koaProtectedResource', 'koaRequire', 'protectedResource', 'requireAcr', 'requireActive', 'requireAmr', 'requireLab', 'requireRole', 'requireScope',
    ]);
    assert.deepEqual(Object.keys(compat).sort(), Object.keys(verifierPackage).sort());
    for (const name of Object.keys(verifierPackage)) assert.equal(compat[name], verifierPackage[name], name);
  });
});
