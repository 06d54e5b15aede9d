import { strict as assert } from 'node:assert';
import type { Server } from 'node:http';

import Router from '@koa/router';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, exportJWK } from 'jose';
import Koa from 'koa';
import * as oidc from 'openid-client';

import { createVerifier, koaAuth } from '@gatehouse/verifier';
import { parseImportDocument } from '../src/config/import-document.js';
import { dpopProof, dpopTokenRequest, newDpopKey } from './helpers/dpop.js';
import { loginAndConsent } from './helpers/form-login.js';
import { backend, CMS, john, mode, portal, spa, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { api, opsService } from './helpers/management-api.js';
import { discoverClient, portalAuthorization } from './helpers/relying-party.js';
import { introspect } from './helpers/user-tokens.js';

const jktOf = async (keyPair: CryptoKeyPair) => calculateJwkThumbprint(await exportJWK(keyPair.publicKey));

/** The OAuth error of a failed openid-client call (oidc.ResponseBodyError), for assertions. */
async function oauthError(promise: Promise<unknown>): Promise<{ error: string; description?: string; status: number }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof oidc.ResponseBodyError) return { error: error.error, description: error.error_description, status: error.status };
    throw error;
  }
  assert.fail('expected an OAuth error response');
}

/** A resource server protected by @gatehouse/verifier, as a service would run it. */
async function startCaseService(issuer: string): Promise<{ url: string; close(): void }> {
  const router = new Router();
  router.get('/cases', (ctx) => { ctx.body = { for: (ctx.state.auth as { sub: string }).sub }; });
  const app = new Koa();
  app.silent = true;
  const server: Server = app.use(koaAuth(createVerifier({ issuer, audience: CMS }))).use(router.routes()).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => server.close() };
}

describe(`DPoP (RFC 9449) with openid-client as the client (${mode})`, () => {
  let gh: TestGatehouse;
  let service: { url: string; close(): void };
  before(async () => {
    gh = await startTestGatehouse();
    service = await startCaseService(gh.issuer);
  });
  after(async () => {
    service?.close();
    await gh?.stop();
  });

  const tokenUrl = () => `${gh.issuer}/token`;
  const serviceGrant = { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' };

  describe('a public client (code + PKCE)', () => {
    let config: oidc.Configuration;
    let keyPair: CryptoKeyPair;
    let tokens: oidc.TokenEndpointResponse;

    before(async () => {
      config = await discoverClient(gh.issuer, spa.id);
      keyPair = await oidc.randomDPoPKeyPair('ES256');
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: spa.redirectUri, scope: 'openid offline_access', resource: CMS, prompt: 'consent', state,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      });
      const callback = new URL(await loginAndConsent(url.href, spa.redirectUri, john));
      tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state }, { resource: CMS }, { DPoP: oidc.getDPoPHandle(config, keyPair) });
    });

    it('gets a DPoP-bound RS256 JWT access token whose cnf.jkt is its key\'s thumbprint', async () => {
      assert.deepEqual(config.serverMetadata().dpop_signing_alg_values_supported, ['ES256', 'Ed25519', 'PS256', 'RS256']);
      assert.equal(tokens.token_type, 'dpop');
      const claims = decodeJwt(tokens.access_token);
      assert.deepEqual(claims.cnf, { jkt: await jktOf(keyPair) });
      assert.equal(claims.aud, CMS);
      assert.deepEqual(decodeProtectedHeader(tokens.access_token), { alg: 'RS256', typ: 'at+jwt', kid: decodeProtectedHeader(tokens.access_token).kid });
    });

    it('introspection reports the binding: cnf.jkt and token_type DPoP', async () => {
      const answer = await introspect(gh.issuer, tokens.access_token, backend);
      assert.equal(answer.active, true);
      assert.deepEqual(answer.cnf, { jkt: await jktOf(keyPair) });
      assert.equal(answer.token_type, 'DPoP');
    });

    it('@gatehouse/verifier accepts the token with a DPoP proof and refuses it presented as Bearer', async () => {
      const url = new URL(`${service.url}/cases`);
      const ok = await oidc.fetchProtectedResource(config, tokens.access_token, url, 'GET', undefined, undefined, { DPoP: oidc.getDPoPHandle(config, keyPair) });
      assert.equal(ok.status, 200, await ok.clone().text());
      assert.equal(((await ok.json()) as { for: string }).for, decodeJwt(tokens.access_token).sub);

      const asBearer = await fetch(url, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      assert.equal(asBearer.status, 401);
      assert.match(asBearer.headers.get('www-authenticate')!, /^DPoP .*error="invalid_token"/);
      // Without the key a stolen token is useless: another key's proof is refused too.
      const thief = await oidc.randomDPoPKeyPair('ES256');
      const stolen = await oidc.fetchProtectedResource(config, tokens.access_token, url, 'GET', undefined, undefined, { DPoP: oidc.getDPoPHandle(config, thief) }).catch((e: unknown) => e);
      assert.ok(stolen instanceof oidc.WWWAuthenticateChallengeError, String(stolen));
      assert.equal(stolen.status, 401);
    });

    it('its refresh token is bound to the same key: refused without a proof and with another key, refreshed with its own', async () => {
      assert.ok(tokens.refresh_token, 'offline_access gives a refresh token');
      const other = await oidc.randomDPoPKeyPair('ES256');
      // oidc-provider keeps invalid_grant's detail (here "failed jkt verification") out of the response.
      assert.deepEqual(await oauthError(oidc.refreshTokenGrant(config, tokens.refresh_token, { resource: CMS }, { DPoP: oidc.getDPoPHandle(config, other) })),
        { error: 'invalid_grant', description: 'grant request is invalid', status: 400 });
      assert.equal((await oauthError(oidc.refreshTokenGrant(config, tokens.refresh_token, { resource: CMS }))).error, 'invalid_grant');

      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token, { resource: CMS }, { DPoP: oidc.getDPoPHandle(config, keyPair) });
      assert.equal(refreshed.token_type, 'dpop');
      assert.deepEqual(decodeJwt(refreshed.access_token).cnf, { jkt: await jktOf(keyPair) });
    });
  });

  describe('a confidential client (code + PKCE, no resource: an opaque token for userinfo)', () => {
    it('gets a bound opaque token that userinfo accepts with a proof and refuses as Bearer; its refresh token is not bound', async () => {
      const config = await discoverClient(gh.issuer, portal.id, portal.secret);
      const keyPair = await oidc.randomDPoPKeyPair('ES256');
      const DPoP = oidc.getDPoPHandle(config, keyPair);
      const { url, verifier, state, nonce } = await portalAuthorization(config, { scope: 'openid offline_access' });
      url.searchParams.set('prompt', 'consent');
      const callback = new URL(await loginAndConsent(url.href, portal.redirectUri, john));
      const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce }, undefined, { DPoP });
      assert.equal(tokens.token_type, 'dpop');
      const sub = tokens.claims()!.sub;

      assert.equal((await oidc.fetchUserInfo(config, tokens.access_token, sub, { DPoP })).sub, sub);
      const asBearer = await fetch(`${gh.issuer}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      assert.equal(asBearer.status, 401);
      assert.match(asBearer.headers.get('www-authenticate')!, /^DPoP /);

      // Client authentication protects a confidential client's refresh token: no proof needed, and none given means a Bearer token.
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      assert.equal(refreshed.token_type, 'bearer');
    });
  });

  describe('a service client (client_credentials) and proofs made by hand', () => {
    it('openid-client gets a DPoP-bound token for the resource', async () => {
      const config = await discoverClient(gh.issuer, backend.id, backend.secret);
      const keyPair = await oidc.randomDPoPKeyPair('ES256');
      const tokens = await oidc.clientCredentialsGrant(config, { resource: CMS, scope: 'cases:read' }, { DPoP: oidc.getDPoPHandle(config, keyPair) });
      assert.equal(tokens.token_type, 'dpop');
      assert.deepEqual(decodeJwt(tokens.access_token).cnf, { jkt: await jktOf(keyPair) });
    });

    it('a replayed proof (same jti) is refused, and no token is issued for it', async () => {
      const key = await newDpopKey();
      const proof = await dpopProof(key, tokenUrl());
      const first = await dpopTokenRequest(tokenUrl(), serviceGrant, backend, [proof]);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const replay = await dpopTokenRequest(tokenUrl(), serviceGrant, backend, [proof]);
      assert.equal(replay.status, 400);
      // oidc-provider answers a replay at the token endpoint with invalid_grant (its detail, "DPoP proof JWT Replay detected", stays in the logs).
      assert.equal(replay.body.error, 'invalid_grant');
      assert.equal(replay.body.access_token, undefined);
      const fresh = await dpopTokenRequest(tokenUrl(), serviceGrant, backend, [await dpopProof(key, tokenUrl())]);
      assert.equal(fresh.status, 200, 'the same request with a new proof works');
    });

    it('bad proofs are refused with invalid_dpop_proof: wrong htu or htm, alg none, HS256, a private key in the header, two proofs', async () => {
      const key = await newDpopKey();
      const now = Math.floor(Date.now() / 1000);
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const cases: Array<[string, string[]]> = [
        ['wrong htu', [await dpopProof(key, `${gh.issuer}/token/introspection`)]],
        ['htu of another host', [await dpopProof(key, 'https://evil.example/token')]],
        ['wrong htm', [await dpopProof(key, tokenUrl(), { htm: 'GET' })]],
        ['alg none', [`${b64({ alg: 'none', typ: 'dpop+jwt', jwk: key.publicJwk })}.${b64({ htm: 'POST', htu: tokenUrl(), iat: now, jti: 'x1' })}.`]],
        ['HS256', [`${b64({ alg: 'HS256', typ: 'dpop+jwt', jwk: key.publicJwk })}.${b64({ htm: 'POST', htu: tokenUrl(), iat: now, jti: 'x2' })}.c2ln`]],
        ['private key in the header', [await dpopProof(key, tokenUrl(), { jwk: key.privateJwk })]],
        ['two proofs', [await dpopProof(key, tokenUrl()), await dpopProof(key, tokenUrl())]],
      ];
      for (const [name, proofs] of cases) {
        const { status, body } = await dpopTokenRequest(tokenUrl(), serviceGrant, backend, proofs);
        assert.equal(status, 400, `${name}: ${JSON.stringify(body)}`);
        assert.equal(body.error, 'invalid_dpop_proof', `${name}: ${JSON.stringify(body)}`);
        assert.equal(body.access_token, undefined);
      }
    });

    it('an old iat is answered with use_dpop_nonce and a nonce, and the retry with that nonce succeeds (the nonce round trip)', async () => {
      const key = await newDpopKey();
      const old = Math.floor(Date.now() / 1000) - 3600;
      const first = await dpopTokenRequest(tokenUrl(), serviceGrant, backend, [await dpopProof(key, tokenUrl(), { iat: old })]);
      assert.equal(first.status, 400);
      assert.equal(first.body.error, 'use_dpop_nonce');
      const nonce = first.headers.get('dpop-nonce');
      assert.ok(nonce, 'a DPoP-Nonce header to retry with');
      const retry = await dpopTokenRequest(tokenUrl(), serviceGrant, backend, [await dpopProof(key, tokenUrl(), { iat: old, nonce })]);
      assert.equal(retry.status, 200, JSON.stringify(retry.body));
      const forged = await dpopTokenRequest(tokenUrl(), serviceGrant, backend, [await dpopProof(key, tokenUrl(), { nonce: 'forged-nonce' })]);
      assert.equal(forged.body.error, 'use_dpop_nonce');
    });
  });

  describe('per-client dpop_bound_access_tokens', () => {
    it('is accepted by the management API, and such a client gets no token without a DPoP proof', async () => {
      const { body: { access_token: adminToken } } = await dpopTokenRequest(tokenUrl(), { grant_type: 'client_credentials', resource: `${gh.issuer}/api`, scope: 'clients:read clients:write' }, opsService, []);
      const created = await api(gh.issuer, String(adminToken), 'POST', '/clients', {
        clientId: 'dpop-only', grantTypes: ['client_credentials'], resources: [CMS], scope: 'cases:read', dpopBoundAccessTokens: true,
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.dpopBoundAccessTokens, true);
      const client = { id: 'dpop-only', secret: String(created.body.clientSecret) };

      const without = await dpopTokenRequest(tokenUrl(), serviceGrant, client, []);
      assert.equal(without.status, 400);
      assert.equal(without.body.error, 'invalid_grant');
      const key = await newDpopKey();
      const bound = await dpopTokenRequest(tokenUrl(), serviceGrant, client, [await dpopProof(key, tokenUrl())]);
      assert.equal(bound.status, 200, JSON.stringify(bound.body));
      assert.equal(bound.body.token_type, 'DPoP');

      const changed = await api(gh.issuer, String(adminToken), 'PATCH', '/clients/dpop-only', { dpopBoundAccessTokens: false });
      assert.equal(changed.body.dpopBoundAccessTokens, false);
      assert.equal((await api(gh.issuer, String(adminToken), 'PATCH', '/clients/dpop-only', { dpopBoundAccessTokens: 'yes' })).status, 400);
    });

    it('is set by an import file (dpop_bound_access_tokens), and re-importing the same file changes nothing', async () => {
      const doc = parseImportDocument(JSON.stringify({
        clients: [{ client_id: 'imported-dpop', client_secret: 's3cret-value-imported', grant_types: ['client_credentials'], scope: 'cases:read', resources: [CMS], dpop_bound_access_tokens: true }],
      }), 'dpop-import.json');
      await gh.gatehouse.services.applyImport(doc, { actor: 'import:dpop-import.json' });
      const client = await gh.gatehouse.services.clients.get('imported-dpop');
      assert.equal(client.dpopBoundAccessTokens, true);
      await gh.gatehouse.services.applyImport(doc, { actor: 'import:dpop-import.json' });
      assert.deepEqual((await gh.gatehouse.services.clients.get('imported-dpop')).updatedAt, client.updatedAt);
      const without = await dpopTokenRequest(tokenUrl(), serviceGrant, { id: 'imported-dpop', secret: 's3cret-value-imported' }, []);
      assert.equal(without.body.error, 'invalid_grant');
    });

    it('the management API refuses a DPoP-bound token presented as Bearer', async () => {
      const key = await newDpopKey();
      const { body } = await dpopTokenRequest(tokenUrl(), { grant_type: 'client_credentials', resource: `${gh.issuer}/api`, scope: 'clients:read' }, opsService, [await dpopProof(key, tokenUrl())]);
      assert.equal(body.token_type, 'DPoP');
      const refused = await api(gh.issuer, String(body.access_token), 'GET', '/clients');
      assert.equal(refused.status, 401);
      assert.match(refused.headers.get('www-authenticate')!, /DPoP-bound/);
    });
  });
});

describe(`DPoP with GATEHOUSE_DPOP_REQUIRE_NONCE=true (${mode})`, () => {
  let gh: TestGatehouse;
  before(async () => {
    gh = await startTestGatehouse({ GATEHOUSE_DPOP_REQUIRE_NONCE: 'true' });
  });
  after(async () => gh?.stop());

  it('openid-client completes the nonce round trip: use_dpop_nonce once, then the retry and later requests carry the nonce', async () => {
    const config = await discoverClient(gh.issuer, backend.id, backend.secret);
    const seen: Array<{ status: number; error?: string }> = [];
    config[oidc.customFetch] = async (url, options) => {
      const response = await fetch(url, options as RequestInit);
      if (new URL(url).pathname === '/token') {
        const body = (await response.clone().json()) as { error?: string };
        seen.push({ status: response.status, ...(body.error ? { error: body.error } : {}) });
      }
      return response;
    };
    const DPoP = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
    const first = await oidc.clientCredentialsGrant(config, { resource: CMS, scope: 'cases:read' }, { DPoP });
    assert.equal(first.token_type, 'dpop');
    assert.deepEqual(seen, [{ status: 400, error: 'use_dpop_nonce' }, { status: 200 }]);
    await oidc.clientCredentialsGrant(config, { resource: CMS, scope: 'cases:read' }, { DPoP });
    assert.deepEqual(seen.slice(2), [{ status: 200 }], 'the nonce was remembered: no second round trip');
  });

  it('a proof without a nonce is refused even when fresh', async () => {
    const key = await newDpopKey();
    const { status, body, headers } = await dpopTokenRequest(`${gh.issuer}/token`, { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }, backend, [await dpopProof(key, `${gh.issuer}/token`)]);
    assert.equal(status, 400);
    assert.equal(body.error, 'use_dpop_nonce');
    assert.ok(headers.get('dpop-nonce'));
  });
});
