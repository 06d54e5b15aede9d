import { strict as assert } from 'node:assert';

import Router from '@koa/router';
import Koa from 'koa';

import { createVerifier, expressAuth, expressRequire, koaAuth, koaRequire, requireActive, requireLab, requireRole, requireScope, type Verifier } from '../src/index.js';
import { AUDIENCE, introspector, now, startFakeIssuer, unreachableIssuer, type FakeIssuer } from './helpers/fake-issuer.js';
import { bearer, get, listen, nodeServer } from './helpers/http.js';


const realmOnly = `Bearer realm="${AUDIENCE}"`;

describe('koaAuth and expressAuth middleware: Koa and Express-style on node:http', () => {
  let fake: FakeIssuer;
  let verifier: Verifier;
  let down: Verifier;
  const servers: Array<{ close(): unknown }> = [];
  const bases: Record<'koa' | 'node' | 'koaDown' | 'nodeDown', string> = { koa: '', node: '', koaDown: '', nodeDown: '' };

  before(async () => {
    fake = await startFakeIssuer();
    verifier = createVerifier({ issuer: fake.issuer, audience: AUDIENCE, introspection: { clientId: introspector.id, clientSecret: introspector.secret, cacheMs: 0 } });
    down = createVerifier({ issuer: await unreachableIssuer(), audience: AUDIENCE });

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
        assert.equal(response.headers.get('www-authenticate'), `Bearer realm="${AUDIENCE}", error="invalid_token", error_description="${description}"`);
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
        assert.equal(response.headers.get('www-authenticate'), `Bearer realm="${AUDIENCE}", error="insufficient_scope", error_description="${String(response.body.error_description)}"${extra}`);
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
