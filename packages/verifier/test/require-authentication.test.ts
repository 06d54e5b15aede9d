import { strict as assert } from 'node:assert';

import Koa from 'koa';

import { createVerifier, koaAuth, koaRequire, requireAcr, requireAmr, VerifierError, type Verifier } from '../src/index.js';
import { AUDIENCE, startFakeIssuer, type FakeIssuer } from './helpers/fake-issuer.js';
import { listen } from './helpers/http.js';

const MFA = 'urn:gatehouse:acr:mfa';

describe('requireAcr and requireAmr: how the person signed in (RFC 8176 amr, acr; RFC 9470 step-up challenge)', () => {
  let fake: FakeIssuer;
  let verifier: Verifier;
  let base: string;
  let server: { close(): unknown };

  before(async () => {
    fake = await startFakeIssuer();
    verifier = createVerifier({ issuer: fake.issuer, audience: AUDIENCE });
    const app = new Koa();
    app.silent = true;
    app.use(koaAuth(verifier)).use(async (ctx, next) => {
      const requirement = ctx.path === '/acr' ? requireAcr(MFA) : requireAmr('mfa');
      await koaRequire(requirement)(ctx as never, next);
    }).use((ctx) => { ctx.body = { ok: true }; });
    server = app.listen(0, '127.0.0.1');
    base = await listen(server as never);
  });
  after(async () => {
    server?.close();
    await fake?.close();
  });

  const call = async (path: string, token: string) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });

  it('verify returns amr and acr, checked for their types', async () => {
    const claims = await verifier.verify(await fake.sign({ amr: ['pwd', 'otp', 'mfa'], acr: MFA }));
    assert.deepEqual([claims.amr, claims.acr], [['pwd', 'otp', 'mfa'], MFA]);
    await assert.rejects(verifier.verify(await fake.sign({ amr: 'mfa' })), (e: unknown) => e instanceof VerifierError && e.code === 'token_invalid');
  });

  it('lets a two-factor sign-in through and answers a password-only one 401 insufficient_user_authentication with acr_values', async () => {
    for (const path of ['/acr', '/amr']) {
      assert.equal((await call(path, await fake.sign({ amr: ['pwd', 'otp', 'mfa'], acr: MFA }))).status, 200, path);
      const refused = await call(path, await fake.sign({ amr: ['pwd'], acr: 'urn:gatehouse:acr:1fa' }));
      assert.equal(refused.status, 401, path);
      assert.equal(((await refused.json()) as { error: string }).error, 'insufficient_user_authentication');
      assert.match(refused.headers.get('www-authenticate') ?? '', new RegExp(`error="insufficient_user_authentication".*acr_values="${MFA}"`));
    }
    // A service token has neither claim.
    assert.equal((await call('/amr', await fake.sign({}))).status, 401);
  });
});
