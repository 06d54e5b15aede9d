import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';

import { dpopProof, newDpopKey } from './helpers/dpop.js';
import { FormBrowser } from './helpers/form-login.js';
import { backend, basic, CMS, createSandbox, fixtureImport, freePort, john, mode, portal, postForm, spawnGatehouse, type ChildGatehouse, type Sandbox } from './helpers/harness.js';
import { introspect, revoke } from './helpers/user-tokens.js';

// Two nodes need shared servers: the embedded database belongs to one process.
(mode === 'servers' ? describe : describe.skip)('two Gatehouse processes sharing Postgres and Redis', () => {
  let sandbox: Sandbox;
  let a: ChildGatehouse;
  let b: ChildGatehouse;

  before(async () => {
    sandbox = await createSandbox();
    // Both nodes must be one issuer: same ISSUER, same keys, same cookie secret.
    const env = { ...sandbox.env, GATEHOUSE_IMPORT: fixtureImport, GATEHOUSE_COOKIE_KEYS: randomBytes(32).toString('base64url') };
    // The issuer is node A's address (a load balancer's in production), so redirects resolve here.
    const portA = await freePort();
    const issuer = `http://127.0.0.1:${portA}`;
    a = await spawnGatehouse({ ...env, ISSUER: issuer }, portA);
    b = await spawnGatehouse({ ...env, ISSUER: issuer });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await sandbox?.dispose();
  });

  const at = (node: ChildGatehouse) => node.url;

  it('a code issued by one node is redeemed at the other', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const auth = new URL(`${at(a)}/auth`);
    auth.search = new URLSearchParams({
      client_id: portal.id, response_type: 'code', redirect_uri: portal.redirectUri, scope: 'openid',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
    }).toString();
    const browser = new FormBrowser(portal.redirectUri);
    let page = await browser.go(auth.href);
    page = await browser.submit(page, '/login', { login: john.username, password: john.password });
    if (page.html.includes('/confirm"')) page = await browser.submit(page, '/confirm');
    const code = new URL(page.url).searchParams.get('code');
    assert.ok(code, `no code: ${page.url}`);

    const exchanged = await postForm(`${at(b)}/token`, { grant_type: 'authorization_code', code, redirect_uri: portal.redirectUri, code_verifier: verifier }, portal);
    assert.equal(exchanged.status, 200, JSON.stringify(exchanged.body));
    assert.ok(exchanged.body.id_token);
    const replay = await postForm(`${at(a)}/token`, { grant_type: 'authorization_code', code, redirect_uri: portal.redirectUri, code_verifier: verifier }, portal);
    assert.equal(replay.status, 400, 'the code is single use across nodes');
  });

  it('a token revoked at one node is inactive at the other', async () => {
    const { body } = await postForm(`${at(a)}/token`, { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }, backend);
    const jwt = String(body.access_token);
    const opaque = String((await postForm(`${at(a)}/token`, { grant_type: 'client_credentials' }, backend)).body.access_token);
    for (const token of [jwt, opaque]) {
      assert.equal((await introspect(at(b), token, backend)).active, true);
      assert.equal((await revoke(at(a), token, backend)).status, 200);
      assert.equal((await introspect(at(b), token, backend)).active, false);
    }
  });

  /**
   * A token request to `node` as a load balancer would forward it: with the public Host (node A's),
   * which is what a DPoP proof's htu names whichever node answers.
   */
  function tokenRequestVia(node: ChildGatehouse, dpop: string): Promise<{ status: number; body: Record<string, unknown>; nonce?: string }> {
    const body = new URLSearchParams({ grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }).toString();
    return new Promise((resolve, reject) => {
      const req = request(`${at(node)}/token`, {
        method: 'POST',
        headers: { host: new URL(at(a)).host, 'content-type': 'application/x-www-form-urlencoded', authorization: basic(backend.id, backend.secret), dpop },
      }, (res) => {
        let text = '';
        res.on('data', (chunk) => { text += chunk; });
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) as Record<string, unknown>, ...(res.headers['dpop-nonce'] ? { nonce: String(res.headers['dpop-nonce']) } : {}) }));
      });
      req.once('error', reject);
      req.end(body);
    });
  }

  it('a DPoP proof is used once across nodes, even when sent to both at the same moment', async () => {
    const key = await newDpopKey();
    for (let round = 0; round < 3; round += 1) {
      const proof = await dpopProof(key, `${at(a)}/token`);
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => tokenRequestVia(i % 2 ? b : a, proof)));
      assert.equal(answers.filter((r) => r.status === 200).length, 1, JSON.stringify(answers.map((r) => [r.status, r.body.error])));
      assert.ok(answers.every((r) => r.status === 200 || r.body.error === 'invalid_grant'));
    }
  });

  it('a DPoP nonce handed out by one node is accepted by the other (one nonce secret)', async () => {
    const key = await newDpopKey();
    const first = await tokenRequestVia(a, await dpopProof(key, `${at(a)}/token`));
    assert.equal(first.status, 200);
    assert.ok(first.nonce, 'node A offers a nonce');
    const atB = await tokenRequestVia(b, await dpopProof(key, `${at(a)}/token`, { nonce: first.nonce }));
    assert.equal(atB.status, 200, JSON.stringify(atB.body));
    const forged = await tokenRequestVia(b, await dpopProof(key, `${at(a)}/token`, { nonce: 'not-a-nonce-of-ours' }));
    assert.equal(forged.body.error, 'use_dpop_nonce');
  });
});
