import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose';

import { eventually } from './helpers/eventually.js';
import { FormBrowser } from './helpers/form-login.js';
import { CMS, createSandbox, freePort, john, mode, portal, postForm, startTestGatehouse, type Sandbox, type TestGatehouse } from './helpers/harness.js';
import { api, serviceToken, opsService } from './helpers/management-api.js';
import { introspect, refresh, type TokenSet } from './helpers/user-tokens.js';

const EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const origin = { actor: 'test' };

/** A relying party's back-channel logout endpoint: verifies every logout token against Gatehouse's JWKS, as a client would. */
class LogoutReceiver {
  readonly received: Array<{ payload: JWTPayload; header: Record<string, unknown> }> = [];
  /** Answers for the next requests (status, delay); then 200. */
  readonly script: Array<{ status: number; delayMs?: number }> = [];
  requests = 0;
  /** Responses sent so far (any status). */
  answered = 0;
  private server!: Server;
  url = '';

  async start(issuer: string): Promise<void> {
    const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => { body += chunk; });
      req.on('end', async () => {
        this.requests += 1;
        const step = this.script.shift() ?? { status: 200 };
        if (step.delayMs) await new Promise((r) => setTimeout(r, step.delayMs));
        try {
          assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded');
          const token = new URLSearchParams(body).get('logout_token')!;
          const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer, audience: portal.id, typ: 'logout+jwt', maxTokenAge: '2 min' });
          if (step.status === 200) this.received.push({ payload, header: protectedHeader as Record<string, unknown> });
          res.statusCode = step.status;
        } catch {
          res.statusCode = 400;
        }
        res.end();
        this.answered += 1;
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/backchannel-logout`;
  }

  /** The next logout token received after `count` earlier ones. */
  next(count: number) {
    return eventually(async () => this.received[count], { timeoutMs: 8000, what: 'a logout token' });
  }

  stop() {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(resolve));
  }
}

/** Signs john in to portal in a browser whose cookies are kept, and redeems the code. */
async function signIn(issuer: string, scope = 'openid offline_access'): Promise<{ browser: FormBrowser; tokens: TokenSet }> {
  const verifier = randomBytes(32).toString('base64url');
  const auth = new URL(`${issuer}/auth`);
  auth.search = new URLSearchParams({
    client_id: portal.id, response_type: 'code', redirect_uri: portal.redirectUri, scope, resource: CMS, prompt: 'consent',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  }).toString();
  const browser = new FormBrowser(portal.redirectUri);
  let page = await browser.go(auth.href);
  page = await browser.submit(page, '/login', { login: john.username, password: john.password });
  if (page.html.includes('/confirm"')) page = await browser.submit(page, '/confirm');
  const code = new URL(page.url).searchParams.get('code');
  assert.ok(code, page.html);
  const { status, body } = await postForm(`${issuer}/token`, { grant_type: 'authorization_code', code, redirect_uri: portal.redirectUri, code_verifier: verifier, resource: CMS }, portal);
  assert.equal(status, 200, JSON.stringify(body));
  return { browser, tokens: body as unknown as TokenSet };
}

/** RP-initiated logout: the confirmation page, then "sign out"; returns how long the confirming request took. */
async function logOut(issuer: string, browser: FormBrowser): Promise<number> {
  const page = await browser.go(`${issuer}/session/end?client_id=${portal.id}`);
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.html)?.[1];
  const action = /<form[^>]*action="([^"]+)"/.exec(page.html)?.[1];
  assert.ok(xsrf && action, page.html);
  const started = Date.now();
  const done = await browser.go(new URL(action, issuer).href, { method: 'POST', form: { xsrf, logout: 'yes' } });
  assert.equal(done.status, 200, done.html);
  return Date.now() - started;
}

function assertLogoutToken(token: { payload: JWTPayload; header: Record<string, unknown> }, sub: string, sid: unknown) {
  const { payload } = token;
  assert.equal(payload.sub, sub);
  assert.equal(payload.sid, sid);
  assert.deepEqual(payload.events, { [EVENT]: {} });
  assert.equal(typeof payload.jti, 'string');
  assert.equal(typeof payload.iat, 'number');
  assert.equal(payload.nonce, undefined, 'a logout token never carries a nonce');
  assert.equal(token.header.typ, 'logout+jwt');
}

describe(`back-channel logout and what RP-initiated logout ends (${mode})`, () => {
  let gh: TestGatehouse;
  const receiver = new LogoutReceiver();
  let johnId: string;
  let ops: string;

  before(async () => {
    // Loopback receivers are refused by default (SSRF); allowed for this test's receiver.
    gh = await startTestGatehouse({ GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: 'true' });
    await receiver.start(gh.issuer);
    await gh.gatehouse.services.clients.update(origin, portal.id, { backchannelLogoutUri: receiver.url, backchannelLogoutSessionRequired: true });
    johnId = (await gh.gatehouse.services.users.findByUsername('john'))!.id;
    ops = await serviceToken(gh.issuer, opsService);
  });
  after(async () => {
    await receiver.stop();
    await gh?.stop();
  });

  it('discovery says back-channel logout with sid is supported', async () => {
    const discovery = await (await fetch(`${gh.issuer}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    assert.equal(discovery.backchannel_logout_supported, true);
    assert.equal(discovery.backchannel_logout_session_supported, true);
  });

  it('the client settings go through the API: a back-channel URI must be https (http only on loopback) without a fragment', async () => {
    for (const uri of ['http://rp.example/logout', 'https://rp.example/logout#x', 'ftp://rp.example/logout', 'not a uri']) {
      const refused = await api(gh.issuer, ops, 'PATCH', `/clients/${portal.id}`, { backchannelLogoutUri: uri });
      assert.equal(refused.status, 400, uri);
      assert.equal(refused.headers.get('content-type'), 'application/problem+json');
    }
    const shown = await api(gh.issuer, ops, 'GET', `/clients/${portal.id}`);
    assert.equal(shown.body.backchannelLogoutUri, receiver.url);
    assert.equal(shown.body.backchannelLogoutSessionRequired, true);
    assert.equal(shown.body.logoutEndsOfflineGrants, false);
  });

  it('RP-initiated logout: the logout token is retried in the background (the logout never waits); offline grants survive by default', async () => {
    const { browser, tokens } = await signIn(gh.issuer);
    const { sid } = decodeJwt(tokens.id_token!);
    assert.ok(sid, 'the ID token carries sid (the client requires it)');
    // The receiver is slow and fails the first time.
    receiver.script.push({ status: 500, delayMs: 2500 });
    const before = receiver.received.length;
    const answeredBefore = receiver.answered;
    const took = await logOut(gh.issuer, browser);
    assert.equal(receiver.answered, answeredBefore, `logout took ${took} ms and returned after the client answered: it must not wait for the client`);
    const token = await receiver.next(before);
    assert.ok(receiver.requests >= 2, 'delivered on a retry');
    assertLogoutToken(token, johnId, sid);

    // Standard OIDC: an offline_access grant outlives the browser session.
    assert.equal((await introspect(gh.issuer, tokens.access_token)).active, true);
    const refreshed = await refresh(gh.issuer, tokens.refresh_token!);
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
  });

  it('with logoutEndsOfflineGrants, RP-initiated logout ends the offline grant: the access token introspects inactive and refresh fails', async () => {
    const changed = await api(gh.issuer, ops, 'PATCH', `/clients/${portal.id}`, { logoutEndsOfflineGrants: true });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal(changed.body.logoutEndsOfflineGrants, true);
    try {
      const { browser, tokens } = await signIn(gh.issuer);
      assert.ok(tokens.refresh_token);
      assert.equal((await introspect(gh.issuer, tokens.access_token)).active, true);
      await logOut(gh.issuer, browser);
      assert.equal((await introspect(gh.issuer, tokens.access_token)).active, false);
      const refreshed = await refresh(gh.issuer, tokens.refresh_token!);
      assert.equal(refreshed.status, 400);
      assert.equal(refreshed.body.error, 'invalid_grant');
    } finally {
      await api(gh.issuer, ops, 'PATCH', `/clients/${portal.id}`, { logoutEndsOfflineGrants: false });
    }
  });

  it('a session ended through the management API sends a logout token for that session', async () => {
    const { tokens } = await signIn(gh.issuer);
    const { sid } = decodeJwt(tokens.id_token!);
    const listed = await api(gh.issuer, ops, 'GET', `/users/${johnId}/sessions`);
    const session = listed.body.sessions.find((s: { clients: string[] }) => s.clients.includes(portal.id));
    const before = receiver.received.length;
    const ended = await api(gh.issuer, ops, 'DELETE', `/users/${johnId}/sessions/${session.id}`);
    assert.equal(ended.status, 204);
    assertLogoutToken(await receiver.next(before), johnId, sid);
  });

  it('blocking the user and giving them a new password end their sessions with logout tokens', async () => {
    const first = await signIn(gh.issuer);
    let before = receiver.received.length;
    await api(gh.issuer, ops, 'PUT', `/users/${johnId}/password`, { password: john.password });
    assertLogoutToken(await receiver.next(before), johnId, decodeJwt(first.tokens.id_token!).sid);

    const second = await signIn(gh.issuer);
    before = receiver.received.length;
    const blocked = await api(gh.issuer, ops, 'POST', `/users/${johnId}/block`, { reason: 'test' });
    assert.equal(blocked.status, 200);
    try {
      assertLogoutToken(await receiver.next(before), johnId, decodeJwt(second.tokens.id_token!).sid);
    } finally {
      await api(gh.issuer, ops, 'POST', `/users/${johnId}/restore`);
    }
  });
});

describe(`back-channel logout deliveries survive a restart (${mode})`, () => {
  const receiver = new LogoutReceiver();
  let box: Sandbox;
  let env: Record<string, string>;
  let gh: TestGatehouse | undefined;

  before(async () => {
    box = await createSandbox();
    // One address for both runs: the logout tokens' issuer, where the receiver finds the keys.
    const port = await freePort();
    env = { PORT: String(port), ISSUER: `http://127.0.0.1:${port}`, GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: 'true' };
    gh = await startTestGatehouse(env, box);
    await receiver.start(gh.issuer);
    await gh.gatehouse.services.clients.update(origin, portal.id, { backchannelLogoutUri: receiver.url, backchannelLogoutSessionRequired: true });
  });
  after(async () => {
    await receiver.stop();
    await gh?.stop();
    await box?.dispose();
  });

  it('a delivery waiting for its retry when Gatehouse stops is sent after the restart', async () => {
    const { tokens } = await signIn(gh!.issuer);
    const { sid } = decodeJwt(tokens.id_token!);
    const johnId = (await gh!.gatehouse.services.users.findByUsername('john'))!.id;
    const ops = await serviceToken(gh!.issuer, opsService);
    const session = (await api(gh!.issuer, ops, 'GET', `/users/${johnId}/sessions`)).body.sessions.find((s: { clients: string[] }) => s.clients.includes(portal.id));
    // The receiver is down (500) until the restart.
    receiver.script.push(...Array.from({ length: 20 }, () => ({ status: 500 })));
    assert.equal((await api(gh!.issuer, ops, 'DELETE', `/users/${johnId}/sessions/${session.id}`)).status, 204);
    const waiting = () => gh!.gatehouse.storage.db('backchannel_logouts').select('attempts', 'leased_until');
    await eventually(async () => ((await waiting()).some((row: { attempts: number; leased_until: unknown }) => row.attempts >= 1 && row.leased_until === null) ? true : undefined), { what: 'a failed try waiting for its retry' });
    await gh!.stop();
    gh = undefined;

    receiver.script.length = 0;
    const before = receiver.received.length;
    // No import on the restart: it would set the client back to its declared metadata, which has
    // no back-channel URI, and the delivery would find nowhere to go.
    gh = await startTestGatehouse({ ...env, GATEHOUSE_IMPORT: '' }, box);
    assertLogoutToken(await receiver.next(before), johnId, sid);
    await eventually(async () => (Number((await gh!.gatehouse.storage.db('backchannel_logouts').count({ n: '*' }))[0]!.n) === 0 ? true : undefined), { what: 'the delivery forgotten once delivered' });
  });
});
