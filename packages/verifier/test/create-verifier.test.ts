import { strict as assert } from 'node:assert';

import { createVerifier, type Verifier } from '../src/index.js';
import { AUDIENCE, b64, introspector, newKey, now, startFakeIssuer, unreachableIssuer, type FakeIssuer } from './helpers/fake-issuer.js';
import { rejectsWith } from './helpers/rejects-with.js';

// jose's remote key set reads the wall clock, so cooldown and cache tests shorten the verifier's
// durations (options with production defaults) and wait just past them.
const SHORT_MS = 100;
const sleepPast = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms + 50));

describe('createVerifier against tokens forged with jose and a JWKS on node:http', () => {
  let fake: FakeIssuer;
  let verifier: Verifier;
  before(async () => {
    fake = await startFakeIssuer();
  });
  beforeEach(() => {
    fake.hits = {};
    fake.jwksStatus = 200;
    fake.published = [fake.key];
    verifier = createVerifier({ issuer: fake.issuer, audience: AUDIENCE });
  });
  after(async () => fake?.close());

  it('accepts a valid user token and returns its lab and role claims', async () => {
    const claims = await verifier.verify(await fake.sign({ lab_id: 'lab-1', lab_role: 'member', roles: ['technician'] }));
    assert.equal(claims.lab_id, 'lab-1');
    assert.equal(claims.lab_role, 'member');
    assert.deepEqual(claims.roles, ['technician']);
    assert.equal(claims.scope, 'cases:read');
    assert.equal(claims.act, undefined);
  });

  it('returns the act chain of an exchanged token, and refuses a malformed one as token_invalid', async () => {
    const act = { sub: 'cms-backend', client_id: 'cms-backend', act: { sub: 'portal-api' } };
    const claims = await verifier.verify(await fake.sign({ act }));
    assert.deepEqual(claims.act, act);
    assert.ok(Object.isFrozen(claims.act) && Object.isFrozen(claims.act?.act));
    for (const bad of ['cms-backend', { client_id: 'x' }, { sub: 'a', act: { sub: 7 } }, { sub: 'a', client_id: 7 }]) {
      await rejectsWith(verifier.verify(await fake.sign({ act: bad })), 'token_invalid', 401, /act claim is malformed/);
    }
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
    const strict = createVerifier({ issuer: fake.issuer, audience: AUDIENCE, clockTolerance: 0 });
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
    const down = createVerifier({ issuer: await unreachableIssuer(), audience: AUDIENCE });
    await rejectsWith(down.verify(await fake.sign()), 'keys_unavailable', 503);
    fake.jwksStatus = 500;
    await rejectsWith(verifier.verify(await fake.sign()), 'keys_unavailable', 503);
    fake.jwksStatus = 200;
    await verifier.verify(await fake.sign());
    const mismatch = createVerifier({ issuer: `${fake.issuer}/`, audience: AUDIENCE });
    await rejectsWith(mismatch.verify(await fake.sign()), 'keys_unavailable', 503);
  });

  it('refuses alg none with 401, not 503, even when the issuer is unreachable', async () => {
    const down = createVerifier({ issuer: await unreachableIssuer(), audience: AUDIENCE });
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
    const rotating = createVerifier({ issuer: fake.issuer, audience: AUDIENCE, jwksCooldownMs: SHORT_MS });
    await rotating.verify(await fake.sign());
    fake.published = [fake.key, next];
    await rejectsWith(rotating.verify(token), 'token_invalid', 401, /unknown key/);
    await sleepPast(SHORT_MS);
    assert.equal((await rotating.verify(token)).sub, 'user-1');
    assert.equal(fake.hits['/jwks'], 2);
  });

  it('shares one introspection call among concurrent checks, caches it, and does not cache failures', async () => {
    const introspecting = createVerifier({ issuer: fake.issuer, audience: AUDIENCE, introspection: { clientId: introspector.id, clientSecret: introspector.secret, cacheMs: SHORT_MS } });
    const token = await fake.sign();
    assert.deepEqual(await Promise.all(Array.from({ length: 10 }, () => introspecting.introspect(token))), Array(10).fill(true));
    assert.equal(fake.hits['/introspect'], 1);
    fake.revoked.add(token);
    assert.equal(await introspecting.introspect(token), true, 'cached');
    await sleepPast(SHORT_MS);
    assert.equal(await introspecting.introspect(token), false, 'revocation seen after cacheMs');
    assert.equal(fake.hits['/introspect'], 2);

    const wrong = createVerifier({ issuer: fake.issuer, audience: AUDIENCE, introspection: { clientId: introspector.id, clientSecret: 'nope' } });
    await rejectsWith(wrong.introspect(token), 'introspection_unavailable', 503);
    await rejectsWith(wrong.introspect(token), 'introspection_unavailable', 503);
    assert.equal(fake.hits['/introspect'], 4, 'a failed introspection is retried, not cached');
    await assert.rejects(verifier.introspect(token), /without the introspection option/);
  });
});
