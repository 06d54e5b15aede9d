import { strict as assert } from 'node:assert';

import Koa from 'koa';

import { createVerifier, expressAuth, expressProtectedResource, koaAuth, koaProtectedResource, protectedResource, type KoaLikeMiddleware } from '../src/index.js';
import { AUDIENCE, startFakeIssuer, type FakeIssuer } from './helpers/fake-issuer.js';
import { bearer, get, listen, nodeServer } from './helpers/http.js';

describe('protected resource metadata (RFC 9728)', () => {
  it('derives the well-known location from the resource identifier (§3.1)', () => {
    const at = (resource: string) => protectedResource({ resource, authorizationServers: ['https://id.example.org'] });
    assert.equal(at('https://mcp.example.org').path, '/.well-known/oauth-protected-resource');
    assert.equal(at('https://mcp.example.org/').metadataUrl, 'https://mcp.example.org/.well-known/oauth-protected-resource');
    assert.equal(at('https://mcp.example.org/mcp').metadataUrl, 'https://mcp.example.org/.well-known/oauth-protected-resource/mcp');
    assert.equal(at('https://mcp.example.org:8443/tools/v1').path, '/.well-known/oauth-protected-resource/tools/v1');
    assert.throws(() => at('https://mcp.example.org/#x'), TypeError);
    assert.throws(() => protectedResource({ resource: 'https://mcp.example.org', authorizationServers: [] }), TypeError);
  });

  describe('the README recipe: metadata served, and every challenge naming it', () => {
    let fake: FakeIssuer;
    const servers: Array<{ close(): unknown }> = [];
    const bases = { koa: '', node: '' };
    let url = '';

    before(async () => {
      fake = await startFakeIssuer();
      // As in README.md, with this test's issuer and audience.
      const resource = AUDIENCE;
      const verifier = createVerifier({ issuer: fake.issuer, audience: resource });
      const prm = protectedResource({ resource, authorizationServers: [verifier.issuer], scopesSupported: ['mcp:tools'] });
      url = prm.metadataUrl;
      const tool: KoaLikeMiddleware = async (ctx) => { ctx.body = { ok: true }; };
      const koaApp = new Koa();
      koaApp.silent = true;
      koaApp.use(koaProtectedResource(prm)).use(koaAuth(verifier, { resourceMetadata: prm.metadataUrl })).use(tool);
      const node = nodeServer({ '/.well-known/oauth-protected-resource': [expressProtectedResource(prm)], '/mcp': [expressAuth(verifier, { resourceMetadata: prm.metadataUrl })] });
      for (const [name, server] of [['koa', koaApp.listen(0, '127.0.0.1')], ['node', node.listen(0, '127.0.0.1')]] as const) {
        servers.push(server);
        bases[name] = await listen(server);
      }
    });
    after(async () => {
      for (const server of servers) server.close();
      await fake?.close();
    });

    for (const name of ['koa', 'node'] as const) {
      it(`${name}: serves the document without a token, to any origin`, async () => {
        const { status, body, headers } = await get(`${bases[name]}/.well-known/oauth-protected-resource`);
        assert.equal(status, 200);
        assert.deepEqual(body, { resource: AUDIENCE, authorization_servers: [fake.issuer], bearer_methods_supported: ['header'], scopes_supported: ['mcp:tools'] });
        assert.equal(headers.get('access-control-allow-origin'), '*');
      });

      it(`${name}: a 401 without a token or with a bad one names the metadata URL; a good token passes`, async () => {
        const path = name === 'koa' ? '/anything' : '/mcp';
        const missing = await get(`${bases[name]}${path}`);
        assert.equal(missing.status, 401);
        assert.equal(missing.headers.get('www-authenticate'), `Bearer realm="${AUDIENCE}", resource_metadata="${url}"`);
        const wrong = await get(`${bases[name]}${path}`, bearer(await fake.sign({ aud: 'https://elsewhere.example' })));
        assert.equal(wrong.status, 401);
        assert.match(wrong.headers.get('www-authenticate') ?? '', new RegExp(`resource_metadata="${url}", error="invalid_token"`));
        const good = await get(`${bases[name]}${path}`, bearer(await fake.sign()));
        assert.notEqual(good.status, 401);
      });
    }
  });
});
