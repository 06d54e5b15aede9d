import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import Router from '@koa/router';
import { exportJWK, exportSPKI, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import Koa from 'koa';

import {
  createVerifier,
  expressAuth,
  expressRequire,
  koaAuth,
  koaRequire,
  requireActive,
  requireLab,
  requireRole,
  requireScope,
  VerifierError,
  type ExpressLikeMiddleware,
  type GatehouseClaims,
  type Verifier,
  type VerifierErrorCode,
  type VerifierOptions,
} from '@gatehouse/verifier';
import { backend, basic, CMS, freePort, mode, postForm, readJsonBody, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';

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

async function rejectsWith(promise: Promise<unknown>, code: VerifierErrorCode, status?: number, description?: RegExp): Promise<VerifierError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof VerifierError, `expected a VerifierError, got ${String(error)}`);
    assert.equal(error.code, code, `${error.code}: ${error.message}`);
    if (status) assert.equal(error.status, status);
    if (description) assert.match(error.message, description);
    return error;
  }
  assert.fail(`expected ${code}, but it resolved`);
}

interface SigningKey { kid: string; privateKey: CryptoKey; publicJwk: JWK }

async function newKey(kid: string = randomUUID()): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

/**
 * A stand-in for Gatehouse that serves discovery, a JWKS of keys the test controls and an
 * introspection endpoint: lab and role claims can be forged here, and failures staged.
 */
interface FakeIssuer {
  issuer: string;
  key: SigningKey;
  published: SigningKey[];
  hits: Record<string, number>;
  jwksStatus: number;
  revoked: Set<string>;
  sign(claims?: Record<string, unknown>, options?: { key?: SigningKey; header?: Record<string, unknown> }): Promise<string>;
  close(): Promise<void>;
}

const introspector = { id: 'cms-api', secret: 'cms-api-secret' };

async function startFakeIssuer(): Promise<FakeIssuer> {
  const key = await newKey('fake-1');
  const fake: Partial<FakeIssuer> & { published: SigningKey[]; hits: Record<string, number>; jwksStatus: number; revoked: Set<string> } = {
    key,
    published: [key],
    hits: {},
    jwksStatus: 200,
    revoked: new Set(),
  };
  const server: Server = createServer((req, res) => {
    const path = req.url!.split('?')[0]!;
    fake.hits[path] = (fake.hits[path] ?? 0) + 1;
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (path === '/.well-known/openid-configuration') {
      return json(200, { issuer: fake.issuer, jwks_uri: `${fake.issuer}/jwks`, introspection_endpoint: `${fake.issuer}/introspect` });
    }
    if (path === '/jwks') {
      return fake.jwksStatus === 200 ? json(200, { keys: fake.published.map((k) => k.publicJwk) }) : json(fake.jwksStatus, { error: 'down' });
    }
    if (path === '/introspect' && req.method === 'POST') {
      if (req.headers.authorization !== basic(introspector.id, introspector.secret)) return json(401, { error: 'invalid_client' });
      let body = '';
      req.on('data', (chunk) => { body += chunk; });
      req.on('end', () => {
        const token = new URLSearchParams(body).get('token') ?? '';
        json(200, { active: !fake.revoked.has(token) });
      });
      return;
    }
    json(404, {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  fake.sign = async (claims = {}, options = {}) => {
    const signer = options.key ?? key;
    const payload: JWTPayload = { iss: fake.issuer, aud: CMS, sub: 'user-1', client_id: 'portal', scope: 'cases:read', jti: randomUUID(), iat: now(), exp: now() + 300, ...claims };
    for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
    return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: signer.kid, ...options.header }).sign(signer.privateKey);
  };
  fake.close = () => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return fake as FakeIssuer;
}

/** An issuer URL nothing listens on. */
const unreachableIssuer = async () => `http://127.0.0.1:${await freePort()}`;

/** Runs Express-style middleware in order on a plain node:http server, as Express would. */
function nodeServer(chains: Record<string, ExpressLikeMiddleware[]>): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const chain = chains[req.url!] ?? [];
    const step = (index: number) => (error?: unknown) => {
      if (error) {
        res.statusCode = 500;
        res.end(JSON.stringify({ error: 'server_error', detail: String(error) }));
      } else if (index < chain.length) {
        chain[index]!(req, res, step(index + 1));
      } else {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify((req as IncomingMessage & { auth?: GatehouseClaims }).auth));
      }
    };
    step(0)();
  });
}

async function listen(server: Server | ReturnType<Koa['listen']>): Promise<string> {
  if (!server.listening) await new Promise<void>((resolve) => server.once('listening', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  return { status: response.status, headers: response.headers, body: await readJsonBody(response) };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

// --- against a real Gatehouse --------------------------------------------------------------------

describe(`gatehouse/verifier against a real Gatehouse (${mode})`, () => {
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
    const attacker = await newKey();
    const forge = (kid: string) => new SignJWT({ iss: gh.issuer, aud: CMS, sub: 'x', client_id: 'x', jti: randomUUID(), iat: now(), exp: now() + 300 })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid }).sign(attacker.privateKey);
    const flood = () => Promise.all(Array.from({ length: 50 }, () => forge(randomUUID())));
    const [cold, warm, afterCooldown] = [await flood(), await flood(), await flood()];

    // A cold verifier hit by the flood first: one discovery, one JWKS fetch, shared by all 50.
    const coldCounter = countingFetch();
    const coldVerifier = createVerifier(options({ fetch: coldCounter.fetch }));
    await Promise.all(cold.map((token) => rejectsWith(coldVerifier.verify(token), 'token_invalid', 401, /unknown key/)));
    assert.deepEqual([coldCounter.count('/.well-known/openid-configuration'), coldCounter.count('/jwks')], [1, 1]);

    // Within the cooldown after a fetch: no refetch at all.
    const counter = countingFetch();
    const verifier = createVerifier(options({ fetch: counter.fetch, jwksCooldownMs: 1000 }));
    await verifier.verify(await serviceToken());
    await Promise.all(warm.map((token) => rejectsWith(verifier.verify(token), 'token_invalid', 401, /unknown key/)));
    assert.equal(counter.count('/jwks'), 1, 'unknown kids within the cooldown fetch nothing');

    // Once the cooldown has passed, a concurrent flood shares one refetch, which restarts the cooldown.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await Promise.all(afterCooldown.map((token) => rejectsWith(verifier.verify(token), 'token_invalid')));
    for (const token of afterCooldown.slice(0, 10)) await rejectsWith(verifier.verify(token), 'token_invalid');
    assert.equal(counter.count('/jwks'), 2, `JWKS fetched ${counter.count('/jwks')} times for 1 + 110 verifications`);
    await verifier.verify(await serviceToken());
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
      'VerifierError', 'createVerifier', 'expressAuth', 'expressRequire', 'koaAuth', 'koaRequire',
      'requireActive', 'requireLab', 'requireRole', 'requireScope',
    ]);
    assert.deepEqual(Object.keys(compat).sort(), Object.keys(verifierPackage).sort());
    for (const name of Object.keys(verifierPackage)) assert.equal(compat[name], verifierPackage[name], name);
  });
});

// --- forged tokens from a local issuer -----------------------------------------------------------

describe('gatehouse/verifier against tokens forged with jose', () => {
  let fake: FakeIssuer;
  let verifier: Verifier;
  before(async () => {
    fake = await startFakeIssuer();
  });
  beforeEach(() => {
    fake.hits = {};
    fake.jwksStatus = 200;
    fake.published = [fake.key];
    verifier = createVerifier({ issuer: fake.issuer, audience: CMS });
  });
  after(async () => fake?.close());

  it('accepts a valid user token and returns its lab and role claims', async () => {
    const claims = await verifier.verify(await fake.sign({ lab_id: 'lab-1', lab_role: 'member', roles: ['technician'] }));
    assert.equal(claims.lab_id, 'lab-1');
    assert.equal(claims.lab_role, 'member');
    assert.deepEqual(claims.roles, ['technician']);
    assert.equal(claims.scope, 'cases:read');
  });

  it('rejects wrong audience, wrong issuer, wrong typ and missing RFC 9068 claims as token_invalid', async () => {
    const cases: Array<[string, Promise<string>, RegExp]> = [
      ['aud', fake.sign({ aud: 'https://tts.example' }), /another audience/],
      ['iss', fake.sign({ iss: 'https://evil.example' }), /another issuer/],
      ['typ JWT', fake.sign({}, { header: { typ: 'JWT' } }), /typ must be at\+jwt/],
      ['no typ', fake.sign({}, { header: { typ: undefined } }), /typ must be at\+jwt/],
      ['no client_id', fake.sign({ client_id: undefined }), /lacks the client_id claim/],
      ['no jti', fake.sign({ jti: undefined }), /lacks the jti claim/],
      ['no exp', fake.sign({ exp: undefined }), /lacks the exp claim/],
      ['roles not an array', fake.sign({ roles: 'manager' }), /roles claim is malformed/],
      ['lab_id not a string', fake.sign({ lab_id: 7 }), /lab_id claim is malformed/],
      ['not yet valid', fake.sign({ nbf: now() + 120 }), /not valid yet/],
      ['no kid', fake.sign({}, { header: { kid: undefined } }), /names no signing key/],
    ];
    for (const [name, token, description] of cases) {
      const error = await rejectsWith(verifier.verify(await token), 'token_invalid', 401);
      assert.match(error.message, description, name);
    }
  });

  it('rejects an expired token as token_expired but accepts one within the clock tolerance', async () => {
    await rejectsWith(verifier.verify(await fake.sign({ iat: now() - 400, exp: now() - 60 })), 'token_expired', 401);
    await verifier.verify(await fake.sign({ iat: now() - 300, exp: now() - 2 }));
    const strict = createVerifier({ issuer: fake.issuer, audience: CMS, clockTolerance: 0 });
    await rejectsWith(strict.verify(await fake.sign({ iat: now() - 300, exp: now() - 2 })), 'token_expired');
  });

  it('rejects a tampered payload and a token carrying its own key in an embedded jwk header', async () => {
    const [h, p, s] = (await fake.sign()).split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    claims.roles = ['manager'];
    await rejectsWith(verifier.verify([h, b64(claims), s].join('.')), 'token_invalid', 401, /signature/);
    const attacker = await newKey(fake.key.kid);
    await rejectsWith(verifier.verify(await fake.sign({}, { key: attacker, header: { jwk: attacker.publicJwk } })), 'token_invalid', 401, /signature/);
  });

  it('treats a missing or empty token as token_missing and garbage as token_invalid', async () => {
    await rejectsWith(verifier.verify(undefined), 'token_missing', 401);
    await rejectsWith(verifier.verify(''), 'token_missing', 401);
    await rejectsWith(verifier.verify('not-a-jwt'), 'token_invalid', 401, /malformed/);
  });

  it('answers keys_unavailable (503) when discovery or the JWKS fails with nothing cached, and recovers', async () => {
    const down = createVerifier({ issuer: await unreachableIssuer(), audience: CMS });
    await rejectsWith(down.verify(await fake.sign()), 'keys_unavailable', 503);
    fake.jwksStatus = 500;
    await rejectsWith(verifier.verify(await fake.sign()), 'keys_unavailable', 503);
    fake.jwksStatus = 200;
    await verifier.verify(await fake.sign());
    const mismatch = createVerifier({ issuer: `${fake.issuer}/`, audience: CMS });
    await rejectsWith(mismatch.verify(await fake.sign()), 'keys_unavailable', 503);
  });

  it('refuses alg none with 401, not 503, even when the issuer is unreachable', async () => {
    const down = createVerifier({ issuer: await unreachableIssuer(), audience: CMS });
    await rejectsWith(down.verify(`${b64({ alg: 'none', typ: 'at+jwt', kid: 'x' })}.${b64({ sub: 'x' })}.`), 'token_invalid', 401);
  });

  it('keeps verifying with cached keys while the JWKS endpoint fails', async () => {
    await verifier.verify(await fake.sign());
    fake.jwksStatus = 503;
    for (let i = 0; i < 5; i++) await verifier.verify(await fake.sign());
    assert.equal(fake.hits['/jwks'], 1);
  });

  it('picks up a rotated-in key once the cooldown has passed, with one refetch', async () => {
    const next = await newKey('fake-2');
    const token = await fake.sign({}, { key: next });
    const rotating = createVerifier({ issuer: fake.issuer, audience: CMS, jwksCooldownMs: 500 });
    await rotating.verify(await fake.sign());
    fake.published = [fake.key, next];
    await rejectsWith(rotating.verify(token), 'token_invalid', 401, /unknown key/);
    await new Promise((resolve) => setTimeout(resolve, 550));
    assert.equal((await rotating.verify(token)).sub, 'user-1');
    assert.equal(fake.hits['/jwks'], 2);
  });

  it('shares one introspection call among concurrent checks, caches it, and does not cache failures', async () => {
    const introspecting = createVerifier({ issuer: fake.issuer, audience: CMS, introspection: { clientId: introspector.id, clientSecret: introspector.secret, cacheMs: 500 } });
    const token = await fake.sign();
    assert.deepEqual(await Promise.all(Array.from({ length: 10 }, () => introspecting.introspect(token))), Array(10).fill(true));
    assert.equal(fake.hits['/introspect'], 1);
    fake.revoked.add(token);
    assert.equal(await introspecting.introspect(token), true, 'cached');
    await new Promise((resolve) => setTimeout(resolve, 550));
    assert.equal(await introspecting.introspect(token), false, 'revocation seen after cacheMs');
    assert.equal(fake.hits['/introspect'], 2);

    const wrong = createVerifier({ issuer: fake.issuer, audience: CMS, introspection: { clientId: introspector.id, clientSecret: 'nope' } });
    await rejectsWith(wrong.introspect(token), 'introspection_unavailable', 503);
    await rejectsWith(wrong.introspect(token), 'introspection_unavailable', 503);
    assert.equal(fake.hits['/introspect'], 4, 'a failed introspection is retried, not cached');
    await assert.rejects(verifier.introspect(token), /without the introspection option/);
  });
});

// --- the middleware ------------------------------------------------------------------------------

const realmOnly = `Bearer realm="${CMS}"`;

describe('gatehouse/verifier middleware: Koa and Express-style on node:http', () => {
  let fake: FakeIssuer;
  let verifier: Verifier;
  let down: Verifier;
  const servers: Array<{ close(): unknown }> = [];
  const bases: Record<'koa' | 'node' | 'koaDown' | 'nodeDown', string> = { koa: '', node: '', koaDown: '', nodeDown: '' };

  before(async () => {
    fake = await startFakeIssuer();
    verifier = createVerifier({ issuer: fake.issuer, audience: CMS, introspection: { clientId: introspector.id, clientSecret: introspector.secret, cacheMs: 0 } });
    down = createVerifier({ issuer: await unreachableIssuer(), audience: CMS });

    const koaApp = (v: Verifier) => {
      const router = new Router();
      const ok = (ctx: Koa.Context) => { ctx.body = ctx.state.auth; };
      router.get('/me', ok);
      router.get('/lab', koaRequire(requireLab()), ok);
      router.get('/lab-admin', koaRequire(requireLab('admin')), ok);
      router.get('/manager', koaRequire(requireRole('manager')), ok);
      router.get('/write', koaRequire(requireScope('cases:read', 'cases:write')), ok);
      router.get('/active', koaRequire(requireActive()), ok);
      router.get('/boom', () => { throw new Error('handler bug'); });
      const app = new Koa();
      app.silent = true;
      return app.use(koaAuth(v, { cookieName: 'at' })).use(router.routes()).listen(0, '127.0.0.1');
    };
    const nodeApp = (v: Verifier) => {
      const auth = expressAuth(v, { cookieName: 'at', retryAfterSeconds: 7 });
      return nodeServer({
        '/me': [auth],
        '/lab': [auth, expressRequire(requireLab())],
        '/lab-admin': [auth, expressRequire(requireLab('admin'))],
        '/manager': [auth, expressRequire(requireRole('manager'))],
        '/write': [auth, expressRequire(requireScope('cases:read', 'cases:write'))],
        '/active': [auth, expressRequire(requireActive())],
        '/unwired': [expressRequire(requireLab())],
      }).listen(0, '127.0.0.1');
    };
    const started = { koa: koaApp(verifier), node: nodeApp(verifier), koaDown: koaApp(down), nodeDown: nodeApp(down) };
    for (const [name, server] of Object.entries(started)) {
      servers.push(server);
      bases[name as keyof typeof bases] = await listen(server);
    }
  });
  after(async () => {
    for (const server of servers) server.close();
    await fake?.close();
  });

  for (const flavour of ['koa', 'node'] as const) {
    const base = () => bases[flavour];
    const downBase = () => bases[flavour === 'koa' ? 'koaDown' : 'nodeDown'];

    it(`${flavour}: a missing token gets 401 with a realm-only challenge (no error attribute)`, async () => {
      for (const headers of [{}, { authorization: 'Basic Zm9vOmJhcg==' }] as Array<Record<string, string>>) {
        const response = await get(`${base()}/me`, headers);
        assert.equal(response.status, 401);
        assert.equal(response.headers.get('www-authenticate'), realmOnly);
        assert.deepEqual(response.body, { error: 'token_missing', error_description: 'no access token was presented' });
      }
    });

    it(`${flavour}: an invalid or expired token gets 401 with error="invalid_token"`, async () => {
      const expired = await fake.sign({ iat: now() - 400, exp: now() - 60 });
      for (const [token, code, description] of [
        ['not.a.jwt', 'token_invalid', 'the access token is malformed'],
        [await fake.sign({ aud: 'https://tts.example' }), 'token_invalid', 'the access token is meant for another audience'],
        [expired, 'token_expired', 'the access token expired'],
      ] as const) {
        const response = await get(`${base()}/me`, bearer(token));
        assert.equal(response.status, 401);
        assert.equal(response.headers.get('www-authenticate'), `Bearer realm="${CMS}", error="invalid_token", error_description="${description}"`);
        assert.deepEqual(response.body, { error: code, error_description: description });
      }
      const malformedHeader = await get(`${base()}/me`, { authorization: 'Bearer two words' });
      assert.equal(malformedHeader.status, 401);
      assert.match(malformedHeader.headers.get('www-authenticate')!, /error="invalid_token"/);
    });

    it(`${flavour}: a valid token passes, from the header or the opted-in cookie, with claims on the request`, async () => {
      const token = await fake.sign({ lab_id: 'lab-1', lab_role: 'admin', roles: ['manager'], scope: 'cases:read cases:write' });
      for (const headers of [bearer(token), { cookie: `other=1; at=${token}` }]) {
        const response = await get(`${base()}/me`, headers);
        assert.equal(response.status, 200);
        assert.equal(response.body.lab_id, 'lab-1');
        assert.deepEqual(response.body.roles, ['manager']);
      }
      for (const path of ['/lab', '/lab-admin', '/manager', '/write', '/active']) {
        assert.equal((await get(`${base()}${path}`, bearer(token))).status, 200, path);
      }
    });

    it(`${flavour}: lab, role and scope failures get 403 with error="insufficient_scope"`, async () => {
      const service = await fake.sign({ sub: 'cms-backend', client_id: 'cms-backend', roles: ['technician'] });
      const member = await fake.sign({ lab_id: 'lab-1', lab_role: 'member', roles: [] });
      for (const [path, token, code, extra] of [
        ['/lab', service, 'insufficient_lab', ''],
        ['/lab-admin', member, 'insufficient_role', ''],
        ['/manager', member, 'insufficient_role', ''],
        ['/write', member, 'insufficient_scope', ', scope="cases:read cases:write"'],
      ] as const) {
        const response = await get(`${base()}${path}`, bearer(token));
        assert.equal(response.status, 403, path);
        assert.equal(response.body.error, code, path);
        assert.equal(response.headers.get('www-authenticate'), `Bearer realm="${CMS}", error="insufficient_scope", error_description="${String(response.body.error_description)}"${extra}`);
      }
    });

    it(`${flavour}: requireActive turns a revoked token away with 401`, async () => {
      const token = await fake.sign();
      fake.revoked.add(token);
      const response = await get(`${base()}/active`, bearer(token));
      assert.equal(response.status, 401);
      assert.match(response.headers.get('www-authenticate')!, /error="invalid_token", error_description="the access token has been revoked or is no longer active"/);
    });

    it(`${flavour}: an unreachable issuer with nothing cached gets 503 with Retry-After`, async () => {
      const response = await get(`${downBase()}/me`, bearer(await fake.sign()));
      assert.equal(response.status, 503);
      assert.equal(response.headers.get('retry-after'), flavour === 'koa' ? '5' : '7');
      assert.equal(response.headers.get('www-authenticate'), null);
      assert.equal(response.body.error, 'keys_unavailable');
    });
  }

  it('koa: errors of later middleware are not swallowed; node: expressRequire without expressAuth is a wiring error', async () => {
    assert.equal((await get(`${bases.koa}/boom`, bearer(await fake.sign()))).status, 500);
    const unwired = await get(`${bases.node}/unwired`, bearer(await fake.sign()));
    assert.equal(unwired.status, 500);
    assert.match(String(unwired.body.detail), /put expressAuth\(verifier\) before it/);
  });

  it('a cookie is ignored unless the middleware opted in', async () => {
    const plain = new Koa().use(koaAuth(verifier)).use((ctx) => { ctx.body = ctx.state.auth; }).listen(0, '127.0.0.1');
    try {
      const response = await get(`${await listen(plain)}/`, { cookie: `at=${await fake.sign()}` });
      assert.equal(response.status, 401);
      assert.equal(response.body.error, 'token_missing');
    } finally {
      plain.close();
    }
  });
});
