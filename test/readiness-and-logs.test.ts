import { strict as assert } from 'node:assert';

import { loadConfig } from '../src/config/load-config.js';
import { startGatehouse, type Gatehouse } from '../src/gatehouse.js';
import { createLogger } from '../src/logger.js';
import { backend, CMS, createSandbox, fixtureImport, freePort, mode, postForm, type Sandbox } from './helpers/harness.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';
import { userTokens } from './helpers/user-tokens.js';

type Line = Record<string, unknown> & { level: string; msg: string };

(mode === 'servers' ? describe : describe.skip)('readiness reports each dependency; an outage logs one line per state change; traceparent reaches the logs', function () {
  this.timeout(60_000);
  let sandbox: Sandbox;
  let redis: TcpProxy;
  let postgres: TcpProxy;
  let gatehouse: Gatehouse;
  let issuer: string;
  const lines: Line[] = [];

  before(async () => {
    sandbox = await createSandbox();
    const db = new URL(sandbox.env.DATABASE_URL!);
    const rd = new URL(sandbox.env.REDIS_URL!);
    postgres = await startTcpProxy(db.hostname, Number(db.port || 5432));
    redis = await startTcpProxy(rd.hostname, Number(rd.port || 6379));
    db.host = `127.0.0.1:${postgres.port}`;
    rd.host = `127.0.0.1:${redis.port}`;
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    const config = loadConfig({
      GATEHOUSE_IMPORT: fixtureImport, ...sandbox.env, DATABASE_URL: db.href, REDIS_URL: rd.href, PORT: String(port), HOST: '127.0.0.1', ISSUER: issuer,
      GATEHOUSE_CLIENT_CACHE_SECONDS: '0', GATEHOUSE_RESOURCE_CACHE_SECONDS: '0',
    });
    gatehouse = await startGatehouse(config, createLogger('debug', (line) => lines.push(JSON.parse(line) as Line)));
  });
  after(async () => {
    await gatehouse?.close();
    await redis?.close();
    await postgres?.close();
    await sandbox?.dispose();
  });

  const readiness = async () => {
    const response = await fetch(`${issuer}/readyz`);
    return { status: response.status, body: (await response.json()) as { status: string; checks: Record<string, string>; unavailable_features?: string[] } };
  };
  const clientCredentials = () => postForm(`${issuer}/token`, { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }, backend);
  const until = async (check: () => Promise<boolean>) => {
    const deadline = Date.now() + 15_000;
    while (!(await check().catch(() => false))) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it('all up: 200 ready, each dependency ok', async () => {
    assert.deepEqual(await readiness(), { status: 200, body: { status: 'ready', checks: { database: 'ok', store: 'ok' } } });
  });

  it('Redis down: 200 degraded naming what does not work, and client_credentials issuance still works', async () => {
    const user = await userTokens(issuer);
    redis.cut();
    try {
      const { status, body } = await readiness();
      assert.equal(status, 200);
      assert.equal(body.status, 'degraded');
      assert.deepEqual(body.checks, { database: 'ok', store: 'unavailable' });
      assert.ok(body.unavailable_features!.includes('refresh token grant'));
      const issued = await clientCredentials();
      assert.equal(issued.status, 200, JSON.stringify(issued.body));
      assert.equal((await fetch(`${issuer}/jwks`)).status, 200);
      const introspected = await postForm(`${issuer}/token/introspection`, { token: String(issued.body.access_token) }, backend);
      assert.equal(introspected.status, 503, 'introspection is listed as unavailable, and is');
      const userinfo = await fetch(`${issuer}/me`, { headers: { authorization: `Bearer ${user.access_token}` } });
      assert.equal(userinfo.status === 200, !body.unavailable_features!.includes('userinfo'), `userinfo answered ${userinfo.status}: the list says what is true`);
    } finally {
      redis.restore();
    }
    await until(async () => (await readiness()).body.status === 'ready');
  });

  it('Postgres down: 503 unavailable; 30 failed requests log one warning when it starts and one line when it ends, no stack traces', async () => {
    const from = lines.length;
    postgres.cut();
    try {
      assert.deepEqual(await readiness(), { status: 503, body: { status: 'unavailable', checks: { database: 'unavailable', store: 'ok' } } });
      for (let i = 0; i < 30; i += 1) assert.equal((await clientCredentials()).status, 503);
    } finally {
      postgres.restore();
    }
    await until(async () => (await clientCredentials()).status === 200);
    const logged = lines.slice(from);
    const loud = logged.filter((l) => l.level !== 'debug');
    assert.deepEqual(loud.map((l) => `${l.level} ${l.msg}`), ['warn database unavailable', 'info database available again'], JSON.stringify(loud, null, 1));
    assert.ok(typeof loud[1]!.down_seconds === 'number');
    assert.deepEqual(logged.filter((l) => /\n\s+at /.test(JSON.stringify(l).replace(/\\n/g, '\n'))), [], 'no stack trace in any line');
  });

  it('traceparent: an incoming trace id is kept, echoed with this server\'s span, and every line of the request carries it; without one a trace starts', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0736ab';
    const from = lines.length;
    postgres.cut();
    let response: Response;
    try {
      response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${backend.id}:${backend.secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }),
      });
    } finally {
      postgres.restore();
    }
    assert.equal(response.status, 503);
    const echoed = response.headers.get('traceparent')!;
    assert.match(echoed, new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    assert.notEqual(echoed.split('-')[2], '00f067aa0ba902b7', 'a span of its own');
    const requestLines = lines.slice(from).filter((l) => l.trace_id === traceId);
    assert.ok(requestLines.length > 0, 'the request\'s lines carry the trace id');
    for (const line of requestLines) assert.equal(line.span_id, echoed.split('-')[2]);
    assert.ok(requestLines.every((l) => typeof l.request_id === 'string'));

    const fresh = await fetch(`${issuer}/.well-known/openid-configuration`, { headers: { traceparent: 'not-a-traceparent' } });
    assert.match(fresh.headers.get('traceparent') ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    assert.doesNotMatch(fresh.headers.get('traceparent')!, new RegExp(traceId));
    await until(async () => (await clientCredentials()).status === 200);
  });
});
