import { strict as assert } from 'node:assert';

import { backend, CMS, createSandbox, mode, postForm, startTestGatehouse, type Sandbox, type TestGatehouse } from './helpers/harness.js';
import { DEVICE_CODE_GRANT } from '../src/domain/schemas/client-schemas.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';
import { refresh, userTokens } from './helpers/user-tokens.js';

// Needs servers to cut off; the embedded twins live inside the process and cannot fail this way.
(mode === 'servers' ? describe : describe.skip)('when Postgres or Redis is unreachable Gatehouse fails closed with 503 + Retry-After', () => {
  let sandbox: Sandbox;
  let redis: TcpProxy;
  let postgres: TcpProxy;
  let gh: TestGatehouse;

  before(async () => {
    sandbox = await createSandbox();
    const db = new URL(sandbox.env.DATABASE_URL!);
    const rd = new URL(sandbox.env.REDIS_URL!);
    postgres = await startTcpProxy(db.hostname, Number(db.port || 5432));
    redis = await startTcpProxy(rd.hostname, Number(rd.port || 6379));
    db.host = `127.0.0.1:${postgres.port}`;
    rd.host = `127.0.0.1:${redis.port}`;
    // No in-process client, resource or roles cache: with Postgres cut, nothing may still answer from memory.
    gh = await startTestGatehouse({ DATABASE_URL: db.href, REDIS_URL: rd.href, GATEHOUSE_CLIENT_CACHE_SECONDS: '0', GATEHOUSE_RESOURCE_CACHE_SECONDS: '0' }, sandbox);
  });
  after(async () => {
    await gh?.stop();
    await redis?.close();
    await postgres?.close();
    await sandbox?.dispose();
  });

  const jwt = async () => String((await postForm(`${gh.issuer}/token`, { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }, backend)).body.access_token);
  const introspectRaw = (token: string) => postForm(`${gh.issuer}/token/introspection`, { token }, backend);

  it('Redis down: introspection answers 503 temporarily_unavailable (never active), refresh loses nothing, readyz is degraded', async () => {
    const token = await jwt();
    const user = await userTokens(gh.issuer);
    redis.cut();
    try {
      const answer = await introspectRaw(token);
      assert.equal(answer.status, 503);
      assert.equal(answer.body.error, 'temporarily_unavailable');
      assert.equal(answer.body.active, undefined);
      assert.equal(answer.headers.get('retry-after'), '5');

      const refused = await refresh(gh.issuer, user.refresh_token!);
      assert.equal(refused.status, 503, JSON.stringify(refused.body));
      assert.equal(refused.headers.get('retry-after'), '5');

      const ready = await fetch(`${gh.issuer}/readyz`);
      assert.equal(ready.status, 200);
      const body = (await ready.json()) as { status: string; checks: Record<string, string> };
      assert.deepEqual([body.status, body.checks.store], ['degraded', 'unavailable']);
    } finally {
      redis.restore();
    }
    await waitFor(async () => ((await (await fetch(`${gh.issuer}/readyz`)).json()) as { status: string }).status === 'ready');
    assert.equal((await introspectRaw(token)).body.active, true);
    const retried = await refresh(gh.issuer, user.refresh_token!);
    assert.equal(retried.status, 200, `the same refresh token works once Redis is back: ${JSON.stringify(retried.body)}`);
  });

  it('Redis down: the device code page answers a 503 page, a device\'s poll 503 temporarily_unavailable', async () => {
    await gh.gatehouse.services.clients.create({ actor: 'test' }, { clientId: 'faults-cli', grantTypes: [DEVICE_CODE_GRANT], tokenEndpointAuthMethod: 'none', scope: 'openid', resources: [CMS] });
    const started = await postForm(`${gh.issuer}/device/auth`, { client_id: 'faults-cli', scope: 'openid', resource: CMS });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    redis.cut();
    try {
      const page = await fetch(`${gh.issuer}/device`, { method: 'POST', headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' }, body: 'user_code=BCDF-GHJK&xsrf=x' });
      assert.equal(page.status, 503);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(await page.text(), /Gatehouse is unavailable/);
      const poll = await postForm(`${gh.issuer}/token`, { grant_type: DEVICE_CODE_GRANT, device_code: String(started.body.device_code), client_id: 'faults-cli' });
      assert.equal(poll.status, 503, JSON.stringify(poll.body));
      assert.equal(poll.body.error, 'temporarily_unavailable');
    } finally {
      redis.restore();
    }
    await waitFor(async () => ((await (await fetch(`${gh.issuer}/readyz`)).json()) as { status: string }).status === 'ready');
  });

  it('Postgres down: token requests and introspection answer 503, never a token or a guess', async () => {
    const token = await jwt();
    postgres.cut();
    try {
      const issued = await postForm(`${gh.issuer}/token`, { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }, backend);
      assert.equal(issued.status, 503, JSON.stringify(issued.body));
      assert.equal(issued.body.access_token, undefined);
      assert.equal(issued.headers.get('retry-after'), '5');
      const ready = await fetch(`${gh.issuer}/readyz`);
      assert.equal(ready.status, 503);
    } finally {
      postgres.restore();
    }
    await waitFor(async () => (await fetch(`${gh.issuer}/readyz`)).status === 200);
    assert.equal((await introspectRaw(token)).body.active, true);
  });

  it('Postgres down behind warm caches: a lookup oidc-provider makes itself (the resource) still answers 503 temporarily_unavailable, not a 500', async () => {
    // The client is cached (no adapter read), the resource is not: its lookup is oidc-provider's own callback.
    const db = new URL(gh.config.databaseUrl!);
    const rd = new URL(gh.config.redisUrl!);
    const warm = await startTestGatehouse({ DATABASE_URL: db.href, REDIS_URL: rd.href, GATEHOUSE_CLIENT_CACHE_SECONDS: '600', GATEHOUSE_RESOURCE_CACHE_SECONDS: '0' }, sandbox);
    try {
      const request = () => postForm(`${warm.issuer}/token`, { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }, backend);
      assert.equal((await request()).status, 200);
      postgres.cut();
      try {
        const issued = await request();
        assert.equal(issued.status, 503, JSON.stringify(issued.body));
        assert.equal(issued.body.error, 'temporarily_unavailable');
        assert.equal(issued.headers.get('retry-after'), '5');
      } finally {
        postgres.restore();
      }
    } finally {
      await warm.stop();
    }
  });
});

async function waitFor(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('condition not met in time');
}
