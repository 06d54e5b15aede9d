import { strict as assert } from 'node:assert';

import { FormBrowser } from './helpers/form-login.js';
import { backend, basic, CMS, john, mode, portal, readJsonBody, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { api, opsService, serviceToken, type ApiResponse } from './helpers/management-api.js';

/**
 * The cases an independent fuzz of 20,247 hostile requests answered with a 500 or a dropped
 * connection: text Postgres cannot store (NUL, unpaired surrogates) and numbers beyond a
 * column's range, on every kind of endpoint. Each is refused at the edge with a 400 in the
 * body type of its audience, and nothing answers 5xx.
 */
describe(`hostile input is refused at the edge with a 400, never a 5xx (${mode})`, () => {
  let gh: TestGatehouse;
  let ops: string;
  let johnId: string;
  before(async () => {
    gh = await startTestGatehouse();
    ops = await serviceToken(gh.issuer, opsService);
    johnId = (await gh.gatehouse.storage.db('users').first('id').where({ username: 'john' })).id;
  });
  after(async () => gh?.stop());

  interface Sent { status: number; body: Record<string, unknown>; type: string }

  async function send(path: string, init: { method?: string; form?: string; authorization?: string; headers?: Record<string, string> } = {}): Promise<Sent> {
    const response = await fetch(gh.issuer + path, {
      method: init.method ?? (init.form === undefined ? 'GET' : 'POST'),
      redirect: 'manual',
      headers: {
        accept: 'application/json',
        ...(init.form === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
        ...(init.authorization ? { authorization: init.authorization } : {}),
        ...init.headers,
      },
      body: init.form,
    });
    return { status: response.status, body: await readJsonBody(response), type: response.headers.get('content-type') ?? '' };
  }

  /** An unsigned JWT: enough for oidc-provider to read the client id out of it before verifying. */
  const unsignedJwt = (payload: object) => `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2ln`;
  const jwtBearer = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
  const portalAuth = () => basic(portal.id, portal.secret);

  describe('protocol endpoints answer OAuth invalid_request JSON naming the parameter', () => {
    const cases: Array<[string, () => Promise<Sent>, string]> = [
      ['POST /token with client_id=%00, no credentials', () => send('/token', { form: 'grant_type=client_credentials&client_id=%00' }), 'client_id'],
      ['POST /token/introspection with client_id=%00', () => send('/token/introspection', { form: 'token=x&client_id=%00' }), 'client_id'],
      ['POST /token/revocation with client_id=%00', () => send('/token/revocation', { form: 'token=x&client_id=%00' }), 'client_id'],
      ['GET /auth?client_id=%00&response_type=code', () => send('/auth?client_id=%00&response_type=code'), 'client_id'],
      ['GET /auth with login_hint=%00', () => send(`/auth?client_id=${portal.id}&response_type=code&login_hint=a%00&redirect_uri=${encodeURIComponent(portal.redirectUri)}`), 'login_hint'],
      ['GET /session/end?client_id=%00', () => send('/session/end?client_id=%00'), 'client_id'],
      ['POST /me with access_token=%00', () => send('/me', { form: 'access_token=%00' }), 'access_token'],
      ['GET /me?access_token=%00', () => send('/me?access_token=%00'), 'access_token'],
      ['POST /token refresh_token=%00 with credentials', () => send('/token', { form: 'grant_type=refresh_token&refresh_token=%00', authorization: portalAuth() }), 'refresh_token'],
      ['POST /token code=a%00 with credentials', () => send('/token', { form: `grant_type=authorization_code&code=a%00&redirect_uri=${encodeURIComponent(portal.redirectUri)}`, authorization: portalAuth() }), 'code'],
      ['POST /token resource=%00 with credentials', () => send('/token', { form: 'grant_type=client_credentials&resource=%00', authorization: basic(backend.id, backend.secret) }), 'resource'],
      ['POST /token/introspection token=%00 with credentials', () => send('/token/introspection', { form: 'token=%00', authorization: portalAuth() }), 'token'],
      ['POST /token/revocation token=%00 with credentials', () => send('/token/revocation', { form: 'token=%00', authorization: portalAuth() }), 'token'],
      ['a NUL in a parameter name', () => send('/token', { form: 'grant_type=client_credentials&a%00b=1', authorization: portalAuth() }), 'a\u0000b'],
      ['a NUL in the client id of a Basic Authorization header', () => send('/token', { form: 'grant_type=client_credentials', authorization: basic('\u0000', 'secret') }), 'Authorization'],
      ['a NUL inside a client_assertion JWT', () => send('/token', { form: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: jwtBearer, client_assertion: unsignedJwt({ iss: '\u0000', sub: '\u0000', aud: 'x', exp: 2e9, jti: 'j' }) }).toString() }), 'client_assertion'],
      ['a NUL in the path', () => send('/auth/%00'), 'path'],
    ];
    for (const [name, call, parameter] of cases) {
      it(`${name}: 400 invalid_request`, async () => {
        const response = await call();
        assert.equal(response.status, 400, JSON.stringify(response.body));
        assert.match(response.type, /^application\/json/);
        assert.equal(response.body.error, 'invalid_request');
        assert.ok(String(response.body.error_description).includes(parameter), `names ${JSON.stringify(parameter)}: ${String(response.body.error_description)}`);
      });
    }

    it('well-formed requests still work after the edge has read their bodies', async () => {
      const token = await send('/token', { form: `grant_type=client_credentials&resource=${encodeURIComponent(CMS)}&scope=cases:read`, authorization: basic(backend.id, backend.secret) });
      assert.equal(token.status, 200, JSON.stringify(token.body));
      const introspected = await send('/token/introspection', { form: `token=${String(token.body.access_token)}`, authorization: basic(backend.id, backend.secret) });
      assert.equal(introspected.status, 200);
      assert.equal(introspected.body.active, true);
      // A forged JWT's contents are read only once its signature checks, so a NUL inside one is just an inactive token.
      for (const path of ['/token/introspection', '/token/revocation']) {
        const forged = await send(path, { form: `token=${unsignedJwt({ jti: '\u0000', grant_id: '\u0000', sub: '\u0000', exp: 2e9 })}`, authorization: basic(backend.id, backend.secret) });
        assert.equal(forged.status, 200, `${path}: ${JSON.stringify(forged.body)}`);
        if (path === '/token/introspection') assert.deepEqual(forged.body, { active: false });
      }
      const oversized = await send('/token', { form: `grant_type=client_credentials&pad=${'a'.repeat(60 * 1024)}`, authorization: basic(backend.id, backend.secret) });
      assert.deepEqual([oversized.status, oversized.body.error], [400, 'invalid_request'], 'oidc-provider\'s body limit still applies');
    });
  });

  describe('the login form answers a 400 for the person', () => {
    for (const path of ['/auth?client_id=%00&response_type=code', '/session/end?client_id=%00']) {
      it(`a browser sent to ${path} gets the HTML error page (400), not JSON`, async () => {
        const response = await send(path, { headers: { accept: 'text/html' } });
        assert.equal(response.status, 400);
        assert.match(response.type, /^text\/html/);
      });
    }

    it('a NUL in the login name (a%00b) is refused before any lookup, and a correct login still works', async () => {
      const browser = new FormBrowser(portal.redirectUri);
      const url = `${gh.issuer}/auth?${new URLSearchParams({ client_id: portal.id, response_type: 'code', redirect_uri: portal.redirectUri, scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' })}`;
      const page = await browser.go(url);
      assert.ok(page.html.includes('/login"'), 'the login page');
      const refused = await browser.submit(page, '/login', { login: 'a\u0000b', password: john.password });
      assert.equal(refused.status, 400, refused.html);
      assert.match(refused.headers.get('content-type') ?? '', /^text\/html/, 'a page for the person, not JSON');
      const accepted = await browser.submit(page, '/login', { login: john.username, password: john.password });
      assert.ok(accepted.url.startsWith(portal.redirectUri) || accepted.html.includes('/confirm"'), `logged in: ${accepted.status} ${accepted.url}`);
    });
  });

  describe('the management API answers problem+json pointing at every failing field', () => {
    const expectRefused = (response: ApiResponse, pointers: string[]) => {
      const label = JSON.stringify(response.body);
      assert.equal(response.status, 400, label);
      assert.equal(response.headers.get('content-type'), 'application/problem+json', label);
      const failing = (response.body.errors as Array<{ pointer: string }>).map((e) => e.pointer);
      for (const pointer of pointers) assert.ok(failing.includes(pointer), `${pointer} in ${label}`);
    };

    const queries: Array<[string, string[]]> = [
      ['/users?q=%00', ['#/query/q']],
      ['/users?username=a%00', ['#/query/username']],
      ['/users?email=%00%40example.org', ['#/query/email']],
      ['/users?resource=%00&role=%00', ['#/query/resource', '#/query/role']],
      ['/users?lab=%00', ['#/query/lab']],
      ['/labs?q=%00', ['#/query/q']],
      ['/resources?q=%00', ['#/query/q']],
      ['/clients?q=%00&resource=%00', ['#/query/q', '#/query/resource']],
      ['/audit?action=%00&actor=%00&target=%00', ['#/query/action', '#/query/actor', '#/query/target']],
      ['/audit?before=9223372036854775808', ['#/query/before']],
      ['/audit/export?action=%00', ['#/query/action']],
      ['/audit/export?before=9223372036854775808', ['#/query/before']],
      ['/users/%00', ['#/params/userId']],
    ];
    for (const [path, pointers] of queries) {
      it(`GET ${path}: 400 naming ${pointers.join(', ')}`, async () => {
        expectRefused(await api(gh.issuer, ops, 'GET', path), pointers);
      });
    }

    it('bodies: a NUL in a PATCHed name, a lone surrogate in a block reason, a NUL in a field name', async () => {
      expectRefused(await api(gh.issuer, ops, 'PATCH', `/users/${johnId}`, { givenName: 'a\u0000b', familyName: 'x' }), ['#/body/givenName']);
      expectRefused(await api(gh.issuer, ops, 'PATCH', '/labs/lab-1', { name: 'Lab\u0000' }), ['#/body/name']);
      expectRefused(await api(gh.issuer, ops, 'POST', `/users/${johnId}/block`, undefined, { raw: '{"reason":"x\\ud800"}' }), ['#/body/reason']);
      expectRefused(await api(gh.issuer, ops, 'POST', `/users/${johnId}/block`, undefined, { raw: '{"reason":"x\\udc00y"}' }), ['#/body/reason']);
      expectRefused(await api(gh.issuer, ops, 'PATCH', '/labs/lab-1', { 'na\u0000me': 'x' }), ['#/body/na\u0000me']);
      const user = await api(gh.issuer, ops, 'GET', `/users/${johnId}`);
      assert.equal(user.body.status, 'active', 'john was not blocked');
    });

    it('a paired surrogate (an emoji) is ordinary text and is kept', async () => {
      const response = await api(gh.issuer, ops, 'PATCH', '/labs/lab-3', { name: 'Lab 🧪' });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(response.body.name, 'Lab 🧪');
    });

    it('the audit export with a refused filter answers 400 before it starts streaming (no dropped connection)', async () => {
      const response = await fetch(`${gh.issuer}/api/v1/audit/export?action=%00`, { headers: { authorization: `Bearer ${ops}` } });
      assert.equal(response.status, 400);
      assert.equal(response.headers.get('content-type'), 'application/problem+json');
      assert.equal(((await response.json()) as { status: number }).status, 400);
    });

    it('every string query parameter and path parameter of every operation refuses a NUL with 400 naming it', async () => {
      const document = (await (await fetch(`${gh.issuer}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, { operationId: string; parameters?: Array<{ name: string; in: string; schema: { type?: string } }> }>> };
      const failures: string[] = [];
      let tried = 0;
      for (const [template, methods] of Object.entries(document.paths)) {
        for (const [method, operation] of Object.entries(methods)) {
          for (const parameter of operation.parameters ?? []) {
            if (parameter.schema.type !== 'string' || !['query', 'path'].includes(parameter.in)) continue;
            const path = template.replace('/api/v1', '').replace(/\{(\w+)\}/g, (_m, name: string) => (name === parameter.name ? '%00' : name === 'userId' ? johnId : name === 'labId' ? 'lab-1' : name === 'clientId' ? portal.id : 'x'));
            const query = parameter.in === 'query' ? `?${parameter.name}=%00` : '';
            const response = await api(gh.issuer, ops, method.toUpperCase(), path + query, ['post', 'put', 'patch'].includes(method) ? {} : undefined);
            tried += 1;
            const pointer = `#/${parameter.in === 'path' ? 'params' : 'query'}/${parameter.name}`;
            const named = response.status === 400 && (response.body.errors as Array<{ pointer: string }> | undefined)?.some((e) => e.pointer === pointer);
            if (!named || response.headers.get('content-type') !== 'application/problem+json') failures.push(`${operation.operationId} ${pointer}: ${response.status} ${JSON.stringify(response.body)}`);
          }
        }
      }
      assert.ok(tried >= 20, `only ${tried} parameters tried`);
      assert.deepEqual(failures, []);
    });

    it('every integer a request may carry is bounded within what JavaScript and bigint columns hold', async () => {
      const document = (await (await fetch(`${gh.issuer}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, { operationId: string; parameters?: Array<{ name: string; schema: object }>; requestBody?: { content: Record<string, { schema: object }> } }>> };
      const unbounded: string[] = [];
      const visit = (schema: unknown, at: string): void => {
        if (schema === null || typeof schema !== 'object') return;
        const s = schema as Record<string, unknown>;
        if (s.type === 'integer' || s.type === 'number') {
          if (typeof s.maximum !== 'number' || s.maximum > Number.MAX_SAFE_INTEGER || typeof s.minimum !== 'number' || s.minimum < Number.MIN_SAFE_INTEGER) unbounded.push(at);
        }
        for (const [key, value] of Object.entries(s)) visit(value, `${at}/${key}`);
      };
      for (const methods of Object.values(document.paths)) {
        for (const operation of Object.values(methods)) {
          for (const parameter of operation.parameters ?? []) visit(parameter.schema, `${operation.operationId} ${parameter.name}`);
          visit(operation.requestBody?.content['application/json']?.schema, `${operation.operationId} body`);
        }
      }
      assert.deepEqual(unbounded, []);
    });
  });

  describe('a filter naming something that does not exist is refused, not answered with an empty list', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['/users?resource=TTS&role=Technician', '#/query/resource', /not a registered resource/],
      [`/users?resource=${encodeURIComponent(CMS)}&role=no-such-role`, '#/query/role', /not a role of https:\/\/cms\.example \(one of /],
      ['/users?lab=no-such-lab', '#/query/lab', /not a lab/],
      ['/clients?resource=https%3A%2F%2Fnowhere.example', '#/query/resource', /not a registered resource/],
    ];
    for (const [path, pointer, detail] of cases) {
      it(`GET ${path}: 400 pointing at ${pointer}`, async () => {
        const response = await api(gh.issuer, ops, 'GET', path);
        assert.equal(response.status, 400, JSON.stringify(response.body));
        assert.equal(response.headers.get('content-type'), 'application/problem+json');
        const error = (response.body.errors as Array<{ pointer: string; detail: string }>).find((e) => e.pointer === pointer);
        assert.ok(error, JSON.stringify(response.body));
        assert.match(error.detail, detail);
      });
    }

    it('filters naming what exists still answer 200, empty or not', async () => {
      const held = await api(gh.issuer, ops, 'GET', `/users?resource=${encodeURIComponent(CMS)}&role=technician&lab=lab-1`);
      assert.equal(held.status, 200, JSON.stringify(held.body));
      const members = await api(gh.issuer, ops, 'GET', '/users?lab=lab-3');
      assert.equal(members.status, 200, JSON.stringify(members.body));
      assert.equal((await api(gh.issuer, ops, 'GET', `/clients?resource=${encodeURIComponent(CMS)}`)).status, 200);
    });
  });

  // Invalid UTF-8 decodes to U+FFFD (storable: a search for it may well answer 200) or is refused as malformed.
  describe('malformed percent-encoding (invalid UTF-8, a surrogate encoded as UTF-8) is never a 5xx', () => {
    for (const path of ['/api/v1/users/%ED%A0%80', '/api/v1/users/%E0', '/api/v1/users?q=%ED%A0%80', '/auth/%E0', '/auth?client_id=%ED%A0%80&response_type=code', '/session/end?client_id=%E0']) {
      it(`GET ${path}`, async () => {
        const response = await send(path, { authorization: path.startsWith('/api/') ? `Bearer ${ops}` : undefined });
        assert.ok(response.status < 500, `${response.status} ${JSON.stringify(response.body)}`);
      });
    }
  });

  describe('afterwards', () => {
    it('the service keeps answering after all of that', async () => {
      const health = await fetch(`${gh.issuer}/readyz`);
      assert.equal(health.status, 200);
    });
  });
});
