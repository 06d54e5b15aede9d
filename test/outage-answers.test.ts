import { strict as assert } from 'node:assert';

import pg from 'pg';

import { backend, CMS, createSandbox, mode, postForm, startTestGatehouse, type Sandbox, type TestGatehouse } from './helpers/harness.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';
import { refresh, userTokens } from './helpers/user-tokens.js';

type Answer = { status: number; retryAfter: string | null; body: Record<string, unknown> };

/**
 * Each way a backend can be unavailable (issue 12: a Postgres restart answered 500s) meets the
 * load's three requests: client_credentials, JWT introspection and a refresh. Every answer must
 * be a success or 503 with Retry-After; nothing else.
 */
(mode === 'servers' ? describe : describe.skip)('every database or store unavailability answers 503 with Retry-After', function () {
  this.timeout(60_000);
  let sandbox: Sandbox;
  let redis: TcpProxy;
  let postgres: TcpProxy;
  let gh: TestGatehouse;
  let databaseName: string;

  before(async () => {
    sandbox = await createSandbox();
    const db = new URL(sandbox.env.DATABASE_URL!);
    const rd = new URL(sandbox.env.REDIS_URL!);
    databaseName = db.pathname.slice(1);
    postgres = await startTcpProxy(db.hostname, Number(db.port || 5432));
    redis = await startTcpProxy(rd.hostname, Number(rd.port || 6379));
    db.host = `127.0.0.1:${postgres.port}`;
    rd.host = `127.0.0.1:${redis.port}`;
    gh = await startTestGatehouse({ DATABASE_URL: db.href, REDIS_URL: rd.href, GATEHOUSE_CLIENT_CACHE_SECONDS: '0', GATEHOUSE_RESOURCE_CACHE_SECONDS: '0' }, sandbox);
  });
  after(async () => {
    await gh?.stop();
    await redis?.close();
    await postgres?.close();
    await sandbox?.dispose();
  });

  const answer = async (request: Promise<{ status: number; body: Record<string, unknown>; headers: Headers }>): Promise<Answer> => {
    const { status, body, headers } = await request;
    return { status, body, retryAfter: headers.get('retry-after') };
  };
  const clientCredentials = () => answer(postForm(`${gh.issuer}/token`, { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }, backend));
  const introspection = (token: string) => answer(postForm(`${gh.issuer}/token/introspection`, { token }, backend));

  /** One round of the load's three requests, with fresh inputs made while the backends were up. */
  async function inputs() {
    const jwt = String((await clientCredentials()).body.access_token);
    const user = await userTokens(gh.issuer);
    return { jwt, refreshToken: user.refresh_token! };
  }
  const round = async ({ jwt, refreshToken }: { jwt: string; refreshToken: string }) => [
    await clientCredentials(), await introspection(jwt), await answer(refresh(gh.issuer, refreshToken)),
  ];
  const unacceptable = (answers: Answer[]) => answers.filter((a) => !(a.status < 500 || (a.status === 503 && a.retryAfter === '5')));

  async function recovered(): Promise<void> {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const ready = (await (await fetch(`${gh.issuer}/readyz`)).json()) as { status: string };
      if (ready.status === 'ready' && (await clientCredentials()).status === 200) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('did not recover');
  }

  it('Postgres starting up (FATAL 57P03 cannot_connect_now): 503 + Retry-After', async () => {
    const input = await inputs();
    // Idle pooled connections die with the restart; new ones meet the starting server.
    postgres.startingUp();
    let answers: Answer[];
    try {
      answers = await round(input);
    } finally {
      postgres.restore();
    }
    assert.deepEqual(unacceptable(answers), []);
    assert.equal(answers[0]!.status, 503, JSON.stringify(answers[0]));
    await recovered();
  });

  it('Postgres connections terminated by an administrator (57P01) under concurrent load: only successes or 503 + Retry-After', async () => {
    const input = await inputs();
    const admin = new pg.Client({ connectionString: sandbox.env.DATABASE_URL!.replace(`/${databaseName}`, '/postgres') });
    await admin.connect();
    try {
      const load = Promise.all(Array.from({ length: 8 }, async () => {
        const got: Answer[] = [];
        for (let i = 0; i < 4; i += 1) got.push(...await round(input).catch(() => []));
        return got;
      }));
      for (let i = 0; i < 5; i += 1) {
        await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [databaseName]);
        await new Promise((r) => setTimeout(r, 50));
      }
      const answers = (await load).flat();
      assert.deepEqual(unacceptable(answers).map((a) => `${a.status} ${JSON.stringify(a.body)}`), []);
    } finally {
      await admin.end();
    }
    await recovered();
  });

  it('Postgres unreachable (connection refused, reset mid-flight): 503 + Retry-After', async () => {
    const input = await inputs();
    postgres.cut();
    let answers: Answer[];
    try {
      answers = await round(input);
    } finally {
      postgres.restore();
    }
    assert.deepEqual(unacceptable(answers), []);
    await recovered();
  });

  it('Postgres silent (a partition: connections hang): 503 + Retry-After within seconds, not a hung request', async () => {
    postgres.stall();
    let answers: Answer[];
    const started = Date.now();
    try {
      // Every pooled connection meets the read timeout once, then new ones the connect timeout.
      answers = [await clientCredentials(), await clientCredentials()];
    } finally {
      postgres.restore();
    }
    assert.deepEqual(unacceptable(answers), []);
    assert.equal(answers[1]!.status, 503, JSON.stringify(answers));
    assert.ok(Date.now() - started < 40_000, `took ${Date.now() - started} ms`);
    await recovered();
  });

  it('Redis unreachable: 503 + Retry-After, never a 500', async () => {
    const input = await inputs();
    redis.cut();
    let answers: Answer[];
    try {
      answers = await round(input);
    } finally {
      redis.restore();
    }
    assert.deepEqual(unacceptable(answers), []);
    await recovered();
  });

  it('Redis silent (a partition): 503 + Retry-After within seconds, not a hung request', async () => {
    const input = await inputs();
    redis.stall();
    let answers: Answer[];
    const started = Date.now();
    try {
      answers = await round(input);
    } finally {
      redis.restore();
    }
    assert.deepEqual(unacceptable(answers), []);
    assert.ok(answers.some((a) => a.status === 503), JSON.stringify(answers));
    assert.ok(Date.now() - started < 20_000, `took ${Date.now() - started} ms`);
    await recovered();
  });
});
