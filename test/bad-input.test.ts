import { strict as assert } from 'node:assert';

import { backend, CMS, mode, portal, postForm, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';

describe(`bad input gets a standard OAuth error and a 4xx, never a 5xx (${mode})`, () => {
  let gh: TestGatehouse;
  before(async () => {
    gh = await startTestGatehouse();
  });
  after(async () => gh?.stop());

  const token = `/token`;
  const cases: Array<[string, () => Promise<{ status: number; body: Record<string, unknown> }>, number, string]> = [
    ['missing grant_type', () => postForm(gh.issuer + token, {}, backend), 400, 'invalid_request'],
    ['unknown grant type', () => postForm(gh.issuer + token, { grant_type: 'password', username: 'john', password: 'x' }, backend), 400, 'unsupported_grant_type'],
    ['wrong client secret', () => postForm(gh.issuer + token, { grant_type: 'client_credentials' }, { id: backend.id, secret: 'wrong-secret-value' }), 401, 'invalid_client'],
    ['unknown client', () => postForm(gh.issuer + token, { grant_type: 'client_credentials' }, { id: 'nobody', secret: 'whatever-secret' }), 401, 'invalid_client'],
    ['grant not allowed for the client', () => postForm(gh.issuer + token, { grant_type: 'refresh_token', refresh_token: 'x' }, backend), 400, 'invalid_request'],
    ['malformed authorization code', () => postForm(gh.issuer + token, { grant_type: 'authorization_code', code: 'garbage', redirect_uri: portal.redirectUri, code_verifier: 'x'.repeat(43) }, portal), 400, 'invalid_grant'],
    ['unknown refresh token', () => postForm(gh.issuer + token, { grant_type: 'refresh_token', refresh_token: 'garbage' }, portal), 400, 'invalid_grant'],
    ['duplicate parameters', async () => {
      const response = await fetch(gh.issuer + token, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${backend.id}:${backend.secret}`).toString('base64')}` },
        body: 'grant_type=client_credentials&grant_type=client_credentials&scope=cases:read',
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    }, 400, 'invalid_request'],
    ['resource not allowed', () => postForm(gh.issuer + token, { grant_type: 'client_credentials', resource: 'https://evil.example' }, backend), 400, 'invalid_target'],
    ['wrong content type', async () => {
      const response = await fetch(gh.issuer + token, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${backend.id}:${backend.secret}`).toString('base64')}` },
        body: JSON.stringify({ grant_type: 'client_credentials' }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    }, 400, 'invalid_request'],
    ['oversized body', async () => {
      const response = await fetch(gh.issuer + token, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${backend.id}:${backend.secret}`).toString('base64')}` },
        body: `grant_type=client_credentials&resource=${CMS}&pad=${'a'.repeat(2_000_000)}`,
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    }, 400, 'invalid_request'],
    ['introspection without token', () => postForm(`${gh.issuer}/token/introspection`, {}, portal), 400, 'invalid_request'],
    ['revocation with a bad client secret', () => postForm(`${gh.issuer}/token/revocation`, { token: 'x' }, { id: portal.id, secret: 'bad-secret-value' }), 401, 'invalid_client'],
  ];

  for (const [name, send, status, error] of cases) {
    it(`${name}: ${status} ${error}`, async () => {
      const response = await send();
      assert.equal(response.status, status, JSON.stringify(response.body));
      assert.equal(response.body.error, error);
      assert.ok(response.status < 500);
    });
  }

  it('the service keeps working after all of that', async () => {
    const { status } = await postForm(gh.issuer + token, { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }, backend);
    assert.equal(status, 200);
  });
});

describe('a bad configuration value stops start-up with one clear line and exit code 2', () => {
  it('names the key, the value and what was expected, with no stack trace', async () => {
    for (const [env, pattern] of [
      [{ PORT: 'not-a-port' }, /^gatehouse: invalid configuration: PORT = "not-a-port": must be integer\n$/],
      [{ DATABASE_URL: 'mysql://x' }, /^gatehouse: invalid configuration: DATABASE_URL = "mysql:\/\/x": must match pattern/],
      [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL = "loud": must be equal to one of the allowed values/],
      [{ GATEHOUSE_REFRESH_REUSE_GRACE_SECONDS: '-1' }, /GATEHOUSE_REFRESH_REUSE_GRACE_SECONDS = -1: must be >= 0/],
      [{ NODE_ENV: 'production' }, /GATEHOUSE_COOKIE_KEYS = \(unset\): is required when NODE_ENV=production/],
      [{ NODE_ENV: 'production', GATEHOUSE_COOKIE_KEYS: 'k'.repeat(32) }, /GATEHOUSE_DPOP_NONCE_SECRET = \(unset\): is required when NODE_ENV=production/],
      [{ NODE_ENV: 'production', GATEHOUSE_COOKIE_KEYS: 'k'.repeat(32), GATEHOUSE_DPOP_NONCE_SECRET: 'd'.repeat(32) }, /GATEHOUSE_FACTOR_SECRET = \(unset\): is required when NODE_ENV=production/],
      // Tests hash cheaply (test/helpers/harness.ts); production never may.
      [{ NODE_ENV: 'production', GATEHOUSE_PASSWORD_HASH_MEMORY_KIB: '1024' }, /GATEHOUSE_PASSWORD_HASH_MEMORY_KIB × GATEHOUSE_PASSWORD_HASH_TIME_COST = 1024 × 2: must be at least 38912 \(19456 KiB × 2\) when NODE_ENV=production/],
    ] as const) {
      const result = await startServer(env);
      assert.equal(result.code, 2, `${JSON.stringify(env)} exits 2: ${result.stderr}`);
      assert.match(result.stderr, pattern);
      assert.equal(result.stderr.trim().split('\n').length, 1, 'one line');
      assert.doesNotMatch(result.stderr, /\bat .*\.js:\d+/, 'no stack trace');
    }
  });

  async function startServer(env: Record<string, string>) {
    const { spawn } = await import('node:child_process');
    const { join } = await import('node:path');
    const { packageRoot } = await import('../src/config/paths.js');
    const child = spawn(process.execPath, [join(packageRoot, 'dist/src/main.js')], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => { stderr += c; });
    const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? -1)));
    return { code, stderr };
  }
});
