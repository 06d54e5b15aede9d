import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';

import Router from '@koa/router';
import { SignJWT } from 'jose';
import Koa from 'koa';

import { createVerifier, expressAuth, expressRequire, koaAuth, koaRequire, requireScope, type Verifier } from '../src/index.js';
import { createReplayCache } from '../src/lib/replay-cache.js';
import { AUDIENCE, b64, now, startFakeIssuer, type FakeIssuer } from './helpers/fake-issuer.js';
import { ath, newDpopKey, proof, unsignedProof, type DpopKey } from './helpers/dpop.js';
import { get, listen, nodeServer } from './helpers/http.js';
import { rejectsWith } from './helpers/rejects-with.js';

const URL_ = 'https://cms.example/cases';

describe('DPoP (RFC 9449): verify() checks the proof of a DPoP-bound token', () => {
  let fake: FakeIssuer;
  let verifier: Verifier;
  let key: DpopKey;
  let token: string;
  const request = async (fields: Parameters<typeof proof>[2] = {}, signer = key, tokenValue = token) =>
    ({ dpop: { proof: await proof(signer, tokenValue, { htu: URL_, ...fields }), method: 'GET', url: URL_ } });

  before(async () => {
    fake = await startFakeIssuer();
    verifier = createVerifier({ issuer: fake.issuer, audience: AUDIENCE });
    key = await newDpopKey();
    token = await fake.sign({ cnf: { jkt: key.jkt } });
  });
  after(async () => fake?.close());

  it('accepts a proper proof and returns the binding in claims.cnf', async () => {
    const claims = await verifier.verify(token, await request());
    assert.deepEqual(claims.cnf, { jkt: key.jkt });
  });

  it('ignores the query and fragment of htu, and compares URLs normalised (host case, default port)', async () => {
    await verifier.verify(token, await request({ htu: 'https://CMS.example:443/cases?page=2#top' }));
    const claims = await verifier.verify(token, { dpop: { proof: await proof(key, token, { htu: URL_ }), method: 'GET', url: `${URL_}?page=3` } });
    assert.equal(claims.sub, 'user-1');
  });

  it('refuses a DPoP-bound token presented as a bearer token (dpop_required)', async () => {
    await rejectsWith(verifier.verify(token), 'dpop_required', 401, /DPoP-bound/);
  });

  it('refuses an unbound token presented with the DPoP scheme (token_invalid)', async () => {
    const bearerToken = await fake.sign();
    await rejectsWith(verifier.verify(bearerToken, await request({}, key, bearerToken)), 'token_invalid', 401, /not DPoP-bound/);
  });

  it('refuses a replayed proof (same jti), and a proof carried to another token', async () => {
    const once = await request();
    await verifier.verify(token, once);
    await rejectsWith(verifier.verify(token, once), 'dpop_proof_invalid', 401, /already used/);
    const other = await fake.sign({ cnf: { jkt: key.jkt } });
    await rejectsWith(verifier.verify(other, await request()), 'dpop_proof_invalid', 401, /ath/);
  });

  it('refuses proofs with a wrong htu, htm, an old or future iat, no ath, no jti', async () => {
    const cases: Array<[Parameters<typeof proof>[2], RegExp]> = [
      [{ htu: 'https://cms.example/other' }, /htu/],
      [{ htu: 'https://evil.example/cases' }, /htu/],
      [{ htu: 'not a url' }, /htu/],
      [{ htm: 'POST' }, /htm/],
      [{ iat: now() - 3600 }, /too old/],
      [{ iat: now() + 600 }, /future/],
      [{ ath: undefined }, /ath/],
      [{ jti: '' }, /jti/],
    ];
    for (const [fields, message] of cases) {
      await rejectsWith(verifier.verify(token, await request(fields)), 'dpop_proof_invalid', 401, message);
    }
  });

  it('refuses alg none, symmetric algorithms, a private key in the header, no key, the wrong typ, a forged signature', async () => {
    const bad: Array<[string, RegExp]> = [
      [unsignedProof(key, token, URL_), /exactly one proof/],
      [`${unsignedProof(key, token, URL_)}c2ln`, /signed with one of/],
      [await new SignJWT({ htm: 'GET', htu: URL_, iat: now(), jti: randomUUID(), ath: ath(token) })
        .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: key.publicJwk }).sign(new TextEncoder().encode('x'.repeat(32))), /signed with one of/],
      [await proof(key, token, { htu: URL_, jwk: key.privateJwk }), /public key/],
      [await proof(key, token, { htu: URL_, jwk: { kty: 'oct', k: 'c2VjcmV0' } }), /public key/],
      [await proof(key, token, { htu: URL_, jwk: undefined }), /no public key/],
      [await proof(key, token, { htu: URL_, typ: 'JWT' }), /typ/],
      [(await proof(key, token, { htu: URL_ })).replace(/\.[^.]+$/, `.${b64('forged')}`), /signature/],
      [`${await proof(key, token, { htu: URL_ })}, ${await proof(key, token, { htu: URL_ })}`, /exactly one proof/],
    ];
    for (const [value, message] of bad) {
      await rejectsWith(verifier.verify(token, { dpop: { proof: value, method: 'GET', url: URL_ } }), 'dpop_proof_invalid', 401, message);
    }
    await rejectsWith(verifier.verify(token, { dpop: { proof: undefined, method: 'GET', url: URL_ } }), 'dpop_proof_invalid', 401, /no DPoP proof/);
  });

  it('refuses a proof signed by another key than the token is bound to', async () => {
    const thief = await newDpopKey();
    await rejectsWith(verifier.verify(token, await request({}, thief)), 'dpop_proof_invalid', 401, /another key/);
  });

  it('accepts the other asymmetric algorithms Gatehouse allows (Ed25519, PS256)', async () => {
    for (const alg of ['Ed25519', 'PS256']) {
      const other = await newDpopKey(alg);
      const bound = await fake.sign({ cnf: { jkt: other.jkt } });
      await verifier.verify(bound, { dpop: { proof: await proof(other, bound, { htu: URL_, alg }), method: 'GET', url: URL_ } });
    }
  });

  it('uses a shared replay check when one is given, and refuses symmetric algorithms in its options', async () => {
    const seen = new Set<string>();
    const shared = createVerifier({ issuer: fake.issuer, audience: AUDIENCE, dpop: { claimProofId: (k) => !seen.has(k) && Boolean(seen.add(k)) } });
    const once = await request();
    await shared.verify(token, once);
    assert.equal(seen.size, 1);
    assert.ok([...seen][0]!.startsWith(`${key.jkt}:`));
    await rejectsWith(shared.verify(token, once), 'dpop_proof_invalid', 401, /already used/);
    assert.throws(() => createVerifier({ issuer: fake.issuer, audience: AUDIENCE, dpop: { algorithms: ['HS256'] } }), TypeError);
    assert.throws(() => createVerifier({ issuer: fake.issuer, audience: AUDIENCE, dpop: { algorithms: ['none'] } }), TypeError);
  });

  it('refuses a token bound by another method (no cnf.jkt) or with a malformed cnf', async () => {
    await rejectsWith(verifier.verify(await fake.sign({ cnf: { 'x5t#S256': 'abc' } })), 'token_invalid', 401, /bound by a method/);
    await rejectsWith(verifier.verify(await fake.sign({ cnf: 'jkt' })), 'token_invalid', 401, /cnf/);
  });
});

describe('the replay cache stays bounded', () => {
  it('remembers ids for their lifetime, forgets expired ones first, and never holds more than its maximum', () => {
    let clock = 0;
    const cache = createReplayCache(3, () => clock);
    assert.equal(cache.claim('a', 10), true);
    assert.equal(cache.claim('a', 10), false);
    clock = 11_000;
    assert.equal(cache.claim('a', 10), true, 'expired: may be claimed again');
    for (const id of ['b', 'c', 'd', 'e']) cache.claim(id, 10);
    assert.equal(cache.size, 3);
    assert.equal(cache.claim('e', 10), false);
  });
});

describe('koaAuth and expressAuth with DPoP: the DPoP scheme, proofs and DPoP challenges', () => {
  let fake: FakeIssuer;
  let key: DpopKey;
  let token: string;
  const servers: Server[] = [];
  const bases = { koa: '', node: '' };

  before(async () => {
    fake = await startFakeIssuer();
    key = await newDpopKey();
    token = await fake.sign({ cnf: { jkt: key.jkt } });
    const verifier = createVerifier({ issuer: fake.issuer, audience: AUDIENCE });
    const router = new Router();
    router.get('/cases', (ctx) => { ctx.body = ctx.state.auth; });
    router.get('/write', koaRequire(requireScope('cases:write')), (ctx) => { ctx.body = ctx.state.auth; });
    const app = new Koa();
    app.silent = true;
    servers.push(app.use(koaAuth(verifier)).use(router.routes()).listen(0, '127.0.0.1'));
    const auth = expressAuth(verifier);
    servers.push(nodeServer({ '/cases': [auth], '/cases?x=1': [auth], '/write': [auth, expressRequire(requireScope('cases:write'))] }).listen(0, '127.0.0.1'));
    bases.koa = await listen(servers[0]!);
    bases.node = await listen(servers[1]!);
  });
  after(async () => {
    for (const server of servers) server.close();
    await fake?.close();
  });

  const algs = 'algs="ES256 Ed25519 EdDSA PS256 RS256"';
  for (const kind of ['koa', 'node'] as const) {
    it(`${kind}: a DPoP request with a proper proof passes; the same token as Bearer gets a DPoP challenge`, async () => {
      const url = `${bases[kind]}/cases`;
      const ok = await get(`${url}?x=1`, { authorization: `DPoP ${token}`, dpop: await proof(key, token, { htu: url }) });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.deepEqual(ok.body.cnf, { jkt: key.jkt });

      const asBearer = await get(url, { authorization: `Bearer ${token}` });
      assert.equal(asBearer.status, 401);
      assert.equal(asBearer.body.error, 'dpop_required');
      assert.match(asBearer.headers.get('www-authenticate')!, /^DPoP realm="https:\/\/cms\.example", error="invalid_token", error_description="[^"]+", algs="[^"]+"$/);
      assert.ok(asBearer.headers.get('www-authenticate')!.endsWith(algs));
    });

    it(`${kind}: bad proofs get 401 with DPoP error="invalid_dpop_proof"; a replayed request is refused`, async () => {
      const url = `${bases[kind]}/cases`;
      const replayed = await proof(key, token, { htu: url });
      assert.equal((await get(url, { authorization: `DPoP ${token}`, dpop: replayed })).status, 200);
      for (const dpop of [replayed, await proof(key, token, { htu: `${bases[kind]}/elsewhere` }), await proof(key, token, { htu: url, iat: now() - 3600 }), undefined]) {
        const refused = await get(url, { authorization: `DPoP ${token}`, ...(dpop ? { dpop } : {}) });
        assert.equal(refused.status, 401);
        assert.equal(refused.body.error, 'dpop_proof_invalid');
        assert.match(refused.headers.get('www-authenticate')!, /^DPoP realm="[^"]+", error="invalid_dpop_proof", error_description="[^"]+", algs="[^"]+"$/);
      }
    });

    it(`${kind}: requirements failing on a DPoP request answer with a DPoP insufficient_scope challenge`, async () => {
      const url = `${bases[kind]}/write`;
      const refused = await get(url, { authorization: `DPoP ${token}`, dpop: await proof(key, token, { htu: url }) });
      assert.equal(refused.status, 403);
      assert.match(refused.headers.get('www-authenticate')!, /^DPoP realm="[^"]+", error="insufficient_scope", error_description="[^"]+", scope="cases:write", algs="[^"]+"$/);
    });
  }
});
