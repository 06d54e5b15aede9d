import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';

import { FormBrowser } from './helpers/form-login.js';
import { CMS, john, mode, postForm, spa, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { api, opsService, serviceToken } from './helpers/management-api.js';

const intranet = { id: 'intranet', redirectUri: 'http://127.0.0.1:8083/cb' };

const decode = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, any>;

interface Flow { browser: FormBrowser; verifier: string; url: string }

function authorization(issuer: string, client: { id: string; redirectUri: string }, scope: string, browser = new FormBrowser(client.redirectUri), extra: Record<string, string> = {}): Flow {
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL(`${issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: client.id, response_type: 'code', redirect_uri: client.redirectUri, scope, resource: CMS, state: randomBytes(8).toString('hex'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256', ...extra,
  }).toString();
  return { browser, verifier, url: url.href };
}

describe(`trusted first-party clients skip the consent page; the grant is still recorded and listed (${mode})`, () => {
  let gh: TestGatehouse;
  let ops: string;
  let secret: string;
  before(async () => {
    gh = await startTestGatehouse();
    ops = await serviceToken(gh.issuer, opsService);
    const created = await api(gh.issuer, ops, 'POST', '/clients', {
      clientId: intranet.id, clientName: 'Intranet', redirectUris: [intranet.redirectUri], grantTypes: ['authorization_code', 'refresh_token'],
      scope: 'openid profile offline_access', resources: [CMS], resourceScopes: ['cases:read'], firstParty: true,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    secret = String(created.body.clientSecret);
    // Only a client that proves who it is may skip consent.
    const publicOne = await api(gh.issuer, ops, 'POST', '/clients', {
      clientId: 'public-first-party', redirectUris: [intranet.redirectUri], tokenEndpointAuthMethod: 'none', firstParty: true,
    });
    assert.equal(publicOne.status, 400, JSON.stringify(publicOne.body));
    assert.equal(created.body.firstParty, true);
  });
  after(async () => gh?.stop());

  it('goes from the login page straight to the callback, with tokens for what was asked, and lists the grant with where it was made', async () => {
    const flow = authorization(gh.issuer, intranet, 'openid profile cases:read');
    const login = await flow.browser.go(flow.url);
    assert.ok(login.html.includes('/login"'), 'the login page');
    const after = await flow.browser.submit(login, '/login', { login: john.username, password: john.password });
    assert.ok(after.url.startsWith(intranet.redirectUri), `expected the callback, got ${after.status} ${after.url}:\n${after.html}`);
    const code = new URL(after.url).searchParams.get('code')!;
    const { status, body } = await postForm(`${gh.issuer}/token`, { grant_type: 'authorization_code', code, redirect_uri: intranet.redirectUri, code_verifier: flow.verifier }, { id: intranet.id, secret });
    assert.equal(status, 200, JSON.stringify(body));
    const access = decode(String(body.access_token));
    assert.equal(access.scope, 'cases:read');
    assert.equal(access.aud, CMS);

    const listed = await api(gh.issuer, ops, 'GET', `/users/${access.sub}/sessions`);
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    const grant = (listed.body.grants as Array<{ id: string; clientId: string; ip?: string; userAgent?: string }>).find((g) => g.id === access.grant_id);
    assert.ok(grant, 'the grant is listed among the user\'s grants');
    assert.equal(grant.clientId, intranet.id);
    assert.equal(grant.ip, '127.0.0.1');

    // Asking for more later extends the same grant, still without a page — offline_access too,
    // which OpenID Connect grants only with prompt=consent.
    const again = authorization(gh.issuer, intranet, 'openid profile offline_access cases:read', flow.browser, { prompt: 'consent' });
    const page = await again.browser.go(again.url);
    assert.ok(page.url.startsWith(intranet.redirectUri), `expected the callback, got ${page.status} ${page.url}`);
    const second = await postForm(`${gh.issuer}/token`, {
      grant_type: 'authorization_code', code: new URL(page.url).searchParams.get('code')!, redirect_uri: intranet.redirectUri, code_verifier: again.verifier,
    }, { id: intranet.id, secret });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.ok(second.body.refresh_token, 'offline_access was granted');
    assert.equal(decode(String(second.body.access_token)).grant_id, access.grant_id);
  });

  it('judges whether a second factor is needed once per password sign-in: the resume does not read the person\'s factors and labs again', async () => {
    const statements: string[] = [];
    const record = (query: { sql: string }) => statements.push(query.sql);
    const flow = authorization(gh.issuer, intranet, 'openid profile');
    const login = await flow.browser.go(flow.url);
    gh.gatehouse.storage.db.on('query', record);
    try {
      const after = await flow.browser.submit(login, '/login', { login: john.username, password: john.password });
      assert.ok(after.url.startsWith(intranet.redirectUri), `expected the callback, got ${after.status} ${after.url}`);
    } finally {
      gh.gatehouse.storage.db.off('query', record);
    }
    // The password post reads them to decide; the resume used to decide again (oidc-provider's login prompt check).
    assert.equal(statements.filter((sql) => sql.includes('user_factors')).length, 1, statements.join('\n'));
    assert.ok(statements.filter((sql) => sql.includes('"memberships"')).length <= 1, statements.join('\n'));
  });

  it('runs one statement for the account with its factor kinds and one for the audit row at the password post, with no transaction around them', async () => {
    const statements: string[] = [];
    const record = (query: { sql: string }) => statements.push(query.sql);
    const flow = authorization(gh.issuer, intranet, 'openid profile');
    const login = await flow.browser.go(flow.url);
    const db = gh.gatehouse.storage.db;
    // The background relays and delivery queues query on their own timers: only the sign-in's are counted.
    const background = /"events"|"webhook_deliveries"|"ssf_sets"|"backchannel_logouts"|relay_cursors/;
    db.on('query', record);
    try {
      const after = await flow.browser.submit(login, '/login', { login: john.username, password: john.password });
      assert.ok(after.url.startsWith(intranet.redirectUri), `expected the callback, got ${after.status} ${after.url}`);
    } finally {
      db.off('query', record);
    }
    const own = statements.filter((sql) => !background.test(sql));
    // Before: the factors in a query of their own, and the audit row as BEGIN, lock, last hash,
    // insert, COMMIT (11 in all). Now: those two, then at the resume the account, the grant,
    // where it was made, and the lab policy's two reads (a resource is asked for).
    assert.ok(own.length <= 7, own.join('\n'));
    assert.ok(own.some((sql) => sql.includes('from "users"') && sql.includes('user_factors')), own.join('\n'));
    assert.equal(own.filter((sql) => /audit/.test(sql)).length, 1, own.join('\n'));
    assert.ok(!own.some((sql) => /^(BEGIN|COMMIT)/i.test(sql)), own.join('\n'));
  });

  it('still shows the consent page to the users of a client that is not first party, and turning the setting off brings it back', async () => {
    const flow = authorization(gh.issuer, spa, 'openid profile');
    const login = await flow.browser.go(flow.url);
    const consent = await flow.browser.submit(login, '/login', { login: john.username, password: john.password });
    assert.ok(consent.html.includes('/confirm"'), `expected the consent page, got ${consent.status} ${consent.url}`);

    assert.equal((await api(gh.issuer, ops, 'PATCH', `/clients/${intranet.id}`, { firstParty: false })).status, 200);
    const fresh = authorization(gh.issuer, intranet, 'openid profile');
    const page = await fresh.browser.submit(await fresh.browser.go(fresh.url), '/login', { login: john.username, password: john.password });
    assert.ok(page.html.includes('/confirm"'), `expected the consent page, got ${page.status} ${page.url}`);
  });
});
