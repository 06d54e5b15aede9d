import { strict as assert } from 'node:assert';

import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';

import { clientIdMetadataDocumentFeature } from '../src/oidc/client-id-metadata-documents.js';
import { loginAndConsent } from './helpers/form-login.js';
import { CMS, john, mode, postForm, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { api, opsService, serviceToken } from './helpers/management-api.js';
import { selfSignedCertificate, startHttpsServer } from './helpers/tls.js';

const CALLBACK = 'http://127.0.0.1:9/cimd-cb';

describe(`client ID metadata documents: an https client_id is the client's metadata (${mode})`, () => {
  const tls = selfSignedCertificate();
  let gh: TestGatehouse;
  let site: Awaited<ReturnType<typeof startHttpsServer>>;
  let fetched = 0;

  before(async () => {
    site = await startHttpsServer(tls, (req, res) => {
      fetched += 1;
      const id = `${site.origin}${req.url}`;
      const document = { client_id: id, client_name: 'A metadata-document client', redirect_uris: [CALLBACK], token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], response_types: ['code'] };
      res.setHeader('content-type', 'application/json');
      if (req.url === '/client.json') return res.end(JSON.stringify(document));
      if (req.url === '/big.json') return res.end(JSON.stringify({ ...document, padding: 'x'.repeat(6000) }));
      if (req.url === '/first-party.json') return res.end(JSON.stringify({ ...document, 'urn:gatehouse:first_party': true }));
      if (req.url === '/moved.json') {
        res.writeHead(302, { location: '/client.json' });
        return res.end();
      }
      res.statusCode = 404;
      res.end();
    });
    gh = await startTestGatehouse({
      GATEHOUSE_CLIENT_ID_METADATA_DOCUMENTS: 'true', GATEHOUSE_DYNAMIC_CLIENT_RESOURCES: CMS,
      // The documents live on this machine, behind a test CA: both relaxations are for tests only.
      GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: 'true', GATEHOUSE_OUTBOUND_CA_FILE: tls.certFile,
    });
  });
  after(async () => {
    site?.close();
    await gh?.stop();
    tls.dispose();
  });

  const authorize = async (clientId: string, verifier: string) => {
    const url = new URL(`${gh.issuer}/auth`);
    url.search = new URLSearchParams({
      client_id: clientId, response_type: 'code', redirect_uri: CALLBACK, scope: 'cases:read', resource: CMS, state: 'st',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    }).toString();
    return url;
  };

  it('is advertised in discovery; dynamic registration, off by default, is not', async () => {
    const discovery = await (await fetch(`${gh.issuer}/.well-known/oauth-authorization-server`)).json() as Record<string, unknown>;
    assert.equal(discovery.client_id_metadata_document_supported, true);
    assert.equal(discovery.registration_endpoint, undefined);
    const registration = await fetch(`${gh.issuer}/reg`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: [CALLBACK] }) });
    assert.equal(registration.status, 404);
    const ops = await serviceToken(gh.issuer, opsService);
    assert.equal((await api(gh.issuer, ops, 'POST', '/initial-access-tokens', {})).status, 400, 'no initial access tokens either');
  });

  it('signs a person in for a client known only by its document URL, with a token for the policy\'s resource', async () => {
    const clientId = `${site.origin}/client.json`;
    const verifier = oidc.randomPKCECodeVerifier();
    const callback = new URL(await loginAndConsent((await authorize(clientId, verifier)).href, CALLBACK, john));
    const code = callback.searchParams.get('code');
    assert.ok(code, callback.href);
    const { status, body } = await postForm(`${gh.issuer}/token`, { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: verifier, client_id: clientId, resource: CMS });
    assert.equal(status, 200, JSON.stringify(body));
    const claims = decodeJwt(body.access_token as string);
    assert.equal(claims.aud, CMS);
    assert.equal(claims.client_id, clientId);
    assert.equal(claims.scope, 'cases:read');
  });

  it('refuses oversized, redirecting and Gatehouse-metadata-claiming documents, with invalid_client', async () => {
    for (const path of ['/big.json', '/moved.json', '/first-party.json', '/missing.json']) {
      const response = await fetch(await authorize(`${site.origin}${path}`, oidc.randomPKCECodeVerifier()), { headers: { accept: 'application/json' }, redirect: 'manual' });
      const body = await response.json() as Record<string, unknown>;
      assert.equal(response.status, 400, `${path}: ${JSON.stringify(body)}`);
      assert.equal(body.error, 'invalid_client', path);
      if (path === '/first-party.json') assert.equal(body.error_description, 'client is not allowed', 'refused for claiming Gatehouse\'s metadata');
    }
  });

  it('caches a fetched document (bounded by oidc-provider\'s LRU) instead of fetching it for every request', async () => {
    const before = fetched;
    for (let i = 0; i < 3; i += 1) await fetch(await authorize(`${site.origin}/client.json`, oidc.randomPKCECodeVerifier()), { redirect: 'manual' });
    assert.equal(fetched, before, 'served from the cache');
  });

  it('fetches only from allowed hosts when a list is configured', async () => {
    const feature = clientIdMetadataDocumentFeature({ enabled: true, hosts: ['clients.example.org'] });
    assert.equal(await feature.allowFetch(undefined, 'https://clients.example.org/a.json'), true);
    assert.equal(await feature.allowFetch(undefined, 'https://evil.example/a.json'), false);
    assert.equal(await clientIdMetadataDocumentFeature({ enabled: true, hosts: [] }).allowFetch(undefined, 'https://any.example/a.json'), true);
  });
});
