import { strict as assert } from 'node:assert';

import { backend, basic, CMS, mode, portal, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { eventually } from './helpers/eventually.js';
import { directoryService, opsService, serviceToken } from './helpers/management-api.js';

/**
 * Rate limits (docs/DEPLOYMENT.md, "Rate limits"), with tiny quotas so each test crosses one.
 * Behind a trusted proxy the address is the last X-Forwarded-For entry: each test speaks from
 * its own addresses, so quotas spent by one test do not touch another.
 */
const TINY = {
  GATEHOUSE_TRUST_PROXY: 'true',
  GATEHOUSE_SELF_REGISTRATION: 'true',
  GATEHOUSE_RATE_LIMIT_TOKEN: 'client=3,ip=2,window=60',
  GATEHOUSE_RATE_LIMIT_INTROSPECTION: 'client=3,ip=2,window=60',
  GATEHOUSE_RATE_LIMIT_REVOCATION: 'client=3,ip=2,window=60',
  GATEHOUSE_RATE_LIMIT_DEVICE: 'client=3,ip=2,window=60',
  GATEHOUSE_RATE_LIMIT_LOGIN: 'ip=2,window=60',
  GATEHOUSE_RATE_LIMIT_REGISTRATION: 'ip=2,window=60',
  GATEHOUSE_RATE_LIMIT_MANAGEMENT: 'client=3,ip=2,window=60',
};

interface Answer { status: number; headers: Headers; text: string; json?: Record<string, unknown> }

async function call(url: string, init: { ip: string; method?: string; headers?: Record<string, string>; form?: Record<string, string>; json?: unknown }): Promise<Answer> {
  const headers: Record<string, string> = { 'x-forwarded-for': `203.0.113.99, ${init.ip}`, ...init.headers };
  let body: string | undefined;
  if (init.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(init.form).toString();
  } else if (init.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.json);
  }
  const response = await fetch(url, { method: init.method ?? 'POST', headers, body, redirect: 'manual' });
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try { json = JSON.parse(text) as Record<string, unknown>; } catch { json = undefined; }
  return { status: response.status, headers: response.headers, text, json };
}

const TTS = 'https://tts.example';
const auth = (client: { id: string; secret: string }) => ({ authorization: basic(client.id, client.secret), accept: 'application/json' });

/** A 429 carrying Retry-After and the RateLimit headers of the quota that was spent. */
function assertLimited(answer: Answer, policy: string, quota: number): void {
  assert.equal(answer.status, 429, answer.text);
  const retryAfter = Number(answer.headers.get('retry-after'));
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${answer.headers.get('retry-after')}`);
  assert.match(answer.headers.get('ratelimit-policy') ?? '', new RegExp(`"${policy}";q=${quota};w=60`));
  assert.match(answer.headers.get('ratelimit') ?? '', new RegExp(`^"${policy}";r=0;t=\\d+$`));
}

function assertOAuthLimited(answer: Answer, policy: string): void {
  assertLimited(answer, policy, policy.endsWith('-client') ? 3 : 2);
  assert.equal(answer.json?.error, 'temporarily_unavailable');
  assert.match(String(answer.json?.error_description), /too many requests; retry after \d+ seconds/);
}

function assertProblemLimited(answer: Answer, policy: string): void {
  assertLimited(answer, policy, policy.endsWith('-client') ? 3 : 2);
  assert.match(answer.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(answer.json?.type, 'https://gatehouse.dev/problems/too_many_requests');
  assert.equal(answer.json?.status, 429);
}

function assertPageLimited(answer: Answer, policy: string): void {
  assertLimited(answer, policy, 2);
  assert.match(answer.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(answer.text, /Too many attempts/);
}

describe('rate limits per client and per address', () => {
  let gh: TestGatehouse;
  let url: string;
  before(async () => {
    gh = await startTestGatehouse(TINY);
    url = gh.issuer;
  });
  after(() => gh?.stop());

  const issue = (client: { id: string; secret: string }, ip: string, resource = CMS) =>
    call(`${url}/token`, { ip, headers: auth(client), form: { grant_type: 'client_credentials', resource } });

  it('token: a client over its quota gets 429 from any address; another client is unaffected, and says where it stands', async () => {
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await issue(backend, '10.0.1.1'));
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200]);
    assert.deepEqual(answers.map((a) => a.headers.get('ratelimit')?.replace(/;t=\d+$/, '')), ['"token-client";r=2', '"token-client";r=1', '"token-client";r=0']);
    assert.equal(answers[0]!.headers.get('ratelimit-policy'), '"token-client";q=3;w=60, "token-ip";q=2;w=60');
    assertOAuthLimited(await issue(backend, '10.0.1.1'), 'token-client');
    assertOAuthLimited(await issue(backend, '10.0.1.2'), 'token-client');
    // The client's traffic was not charged to its address: a different client there goes through.
    assert.equal((await issue(portal, '10.0.1.1')).status, 200);
  });

  it('token: unauthenticated requests count per address, so a wrong secret cannot spend the client\'s quota', async () => {
    const wrong = { id: 'tts-backend', secret: 'not-the-secret-of-tts-backend' };
    const right = { id: 'tts-backend', secret: 's3cret-value-tts' };
    assert.equal((await issue(wrong, '10.0.2.1', TTS)).status, 401);
    assert.equal((await issue(wrong, '10.0.2.1', TTS)).status, 401);
    assertOAuthLimited(await issue(wrong, '10.0.2.1', TTS), 'token-ip');
    assertOAuthLimited(await issue(right, '10.0.2.1', TTS), 'token-ip');
    // Another address is unaffected, and the named client's own quota is untouched.
    assert.equal((await issue(wrong, '10.0.2.2', TTS)).status, 401);
    const other = await issue(right, '10.0.2.3', TTS);
    assert.equal(other.status, 200, other.text);
    assert.match(other.headers.get('ratelimit') ?? '', /^"token-client";r=2;/);
  });

  it('introspection and revocation: per client', async () => {
    const token = String((await issue(portal, '10.0.3.1')).json?.access_token);
    for (let i = 0; i < 3; i++) assert.equal((await call(`${url}/token/introspection`, { ip: '10.0.3.1', headers: auth(portal), form: { token } })).json?.active, true);
    assertOAuthLimited(await call(`${url}/token/introspection`, { ip: '10.0.3.2', headers: auth(portal), form: { token } }), 'introspection-client');
    assert.equal((await call(`${url}/token/introspection`, { ip: '10.0.3.1', headers: auth(backend), form: { token } })).status, 200);

    for (let i = 0; i < 3; i++) assert.equal((await call(`${url}/token/revocation`, { ip: '10.0.3.1', headers: auth(directoryService), form: { token: 'unknown' } })).status, 200);
    assertOAuthLimited(await call(`${url}/token/revocation`, { ip: '10.0.3.1', headers: auth(directoryService), form: { token: 'unknown' } }), 'revocation-client');
    assert.equal((await call(`${url}/token/revocation`, { ip: '10.0.3.1', headers: auth(opsService), form: { token: 'unknown' } })).status, 200);
  });

  it('a client_id sent in the form is a public client: counted per address, not per client', async () => {
    const poll = (ip: string) => call(`${url}/token`, { ip, headers: { accept: 'application/json' }, form: { grant_type: 'refresh_token', refresh_token: 'nope', client_id: 'spa' } });
    assert.equal((await poll('10.0.8.1')).status, 400);
    assert.equal((await poll('10.0.8.1')).status, 400);
    assertOAuthLimited(await poll('10.0.8.1'), 'token-ip');
    assert.equal((await poll('10.0.8.2')).status, 400);
  });

  it('device: the device authorization endpoint answers OAuth JSON, the code entry page an HTML page', async () => {
    const deviceAuth = (ip: string) => call(`${url}/device/auth`, { ip, headers: { accept: 'application/json' }, form: { client_id: 'no-such-client' } });
    assert.notEqual((await deviceAuth('10.0.4.1')).status, 429);
    assert.notEqual((await deviceAuth('10.0.4.1')).status, 429);
    assertOAuthLimited(await deviceAuth('10.0.4.1'), 'device-ip');
    assert.notEqual((await deviceAuth('10.0.4.2')).status, 429);

    const enter = (ip: string) => call(`${url}/device`, { ip, headers: { accept: 'text/html' }, form: { user_code: 'BCDF-GHJK', xsrf: 'x' } });
    assert.notEqual((await enter('10.0.4.3')).status, 429);
    assert.notEqual((await enter('10.0.4.3')).status, 429);
    assertPageLimited(await enter('10.0.4.3'), 'device-ip');
    assert.notEqual((await enter('10.0.4.4')).status, 429);
  });

  it('login: per address, answered with a readable page', async () => {
    const login = (ip: string) => call(`${url}/interaction/some-interaction/login`, { ip, headers: { accept: 'text/html' }, form: { login: 'john', password: 'wrong' } });
    assert.notEqual((await login('10.0.5.1')).status, 429);
    assert.notEqual((await login('10.0.5.1')).status, 429);
    assertPageLimited(await login('10.0.5.1'), 'login-ip');
    assert.notEqual((await login('10.0.5.2')).status, 429);
  });

  it('registration: per address, answered with problem+json', async () => {
    const register = (ip: string) => call(`${url}/api/v1/registrations`, { ip, headers: { accept: 'application/json' }, json: {} });
    assert.equal((await register('10.0.6.1')).status, 400);
    assert.equal((await register('10.0.6.1')).status, 400);
    assertProblemLimited(await register('10.0.6.1'), 'registration-ip');
    assert.equal((await register('10.0.6.2')).status, 400);
  });

  it('management API: per calling client once authenticated, per address before; problem+json', async () => {
    const users = (token: string | undefined, ip: string) => call(`${url}/api/v1/users`, { ip, method: 'GET', headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
    const ops = await serviceToken(url, opsService);
    for (let i = 0; i < 3; i++) assert.equal((await users(ops, '10.0.7.1')).status, 200);
    assertProblemLimited(await users(ops, '10.0.7.2'), 'management-client');
    assert.equal((await users(await serviceToken(url, directoryService), '10.0.7.1')).status, 200);

    assert.equal((await users(undefined, '10.0.7.3')).status, 401);
    assert.equal((await users(undefined, '10.0.7.3')).status, 401);
    assertProblemLimited(await users(undefined, '10.0.7.3'), 'management-ip');
  });

  it('refusals are counted in the metrics, by group and quota', async () => {
    const text = await gh.gatehouse.metricsRegistry.getSingleMetricAsString('gatehouse_rate_limited_total');
    assert.match(text, /gatehouse_rate_limited_total\{group="token",quota="client"\} [1-9]/);
    assert.match(text, /gatehouse_rate_limited_total\{group="login",quota="ip"\} [1-9]/);
  });

  it('behind a trusted proxy, addresses a client adds to X-Forwarded-For do not change its key', async () => {
    const wrong = { id: 'tts-backend', secret: 'not-the-secret-of-tts-backend' };
    const spoofed = (first: string) => call(`${url}/token`, { ip: '10.0.9.1', headers: { ...auth(wrong), 'x-forwarded-for': `${first}, 10.0.9.1` }, form: { grant_type: 'client_credentials' } });
    assert.equal((await spoofed('1.1.1.1')).status, 401);
    assert.equal((await spoofed('2.2.2.2')).status, 401);
    assertOAuthLimited(await spoofed('3.3.3.3'), 'token-ip');
  });
});

/** Two Gatehouse nodes on one database and Redis prefix, for the describe block that calls it. */
function twoNodes(env: Record<string, string>): { a: () => TestGatehouse; b: () => TestGatehouse } {
  let a: TestGatehouse;
  let b: TestGatehouse;
  before(async () => {
    a = await startTestGatehouse(env);
    b = await startTestGatehouse(env, a.sandbox);
  });
  after(async () => {
    await b?.stop();
    // a made the sandbox, so a disposes of it.
    await a?.stop();
  });
  return { a: () => a, b: () => b };
}

// Two nodes must share one count: the servers mode counts in Redis.
(mode === 'servers' ? describe : describe.skip)('rate limits shared by two Gatehouse instances through Redis', () => {
  const nodes = twoNodes(TINY);

  it('a client\'s requests to either node spend one quota', async () => {
    const [a, b] = [nodes.a(), nodes.b()];
    const issue = (node: TestGatehouse) => call(`${node.issuer}/token`, { ip: '10.1.0.1', headers: auth(backend), form: { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' } });
    assert.equal((await issue(a)).status, 200);
    assert.equal((await issue(b)).status, 200);
    const third = await issue(a);
    assert.equal(third.status, 200);
    assert.match(third.headers.get('ratelimit') ?? '', /^"token-client";r=0;/);
    assertOAuthLimited(await issue(b), 'token-client');
  });
});

// Quotas of 10 requests/s or more are counted in process and shared every 100 ms
// (src/storage/batched-rate-limiter.ts): one node is exact, the other learns within an interval.
(mode === 'servers' ? describe : describe.skip)('a large quota, counted in process by each node and shared through Redis in batches', () => {
  const nodes = twoNodes({ ...TINY, GATEHOUSE_RATE_LIMIT_INTROSPECTION: 'client=600,ip=600,window=60' });

  it('one node lets no request past the quota; the other refuses once it has shared with it', async () => {
    const [a, b] = [nodes.a(), nodes.b()];
    const issued = await call(`${a.issuer}/token`, { ip: '10.3.0.1', headers: auth(backend), form: { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' } });
    const token = String(issued.json?.access_token);
    const introspect = (node: TestGatehouse) => call(`${node.issuer}/token/introspection`, { ip: '10.3.0.2', headers: auth(portal), form: { token } });
    for (let sent = 0; sent < 600; sent += 20) {
      const answers = await Promise.all(Array.from({ length: 20 }, () => introspect(a)));
      assert.deepEqual([...new Set(answers.map((answer) => answer.status))], [200]);
    }
    const over = await introspect(a);
    assertLimited(over, 'introspection-client', 600);
    // b has not used this client's key yet: its first request counts on what it knew (nothing),
    // and sends its count to Redis, learning a's 601 in the answer.
    await introspect(b);
    // Within a share interval (100 ms) and a Redis round trip; polled, so a slow machine only waits longer.
    const refused = await eventually(async () => {
      const answer = await introspect(b);
      return answer.status === 429 ? answer : undefined;
    }, { timeoutMs: 5000, intervalMs: 50, what: 'node b refusing the spent quota' });
    assertLimited(refused, 'introspection-client', 600);
  });
});
