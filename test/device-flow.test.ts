import { strict as assert } from 'node:assert';

import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';

import { deviceLogin } from '../examples/device-login.js';
import { DEVICE_CODE_GRANT } from '../src/domain/schemas/client-schemas.js';
import { PAGE_CSP } from '../src/interactions/views.js';
import { eventually } from './helpers/eventually.js';
import { FormBrowser, type Page } from './helpers/form-login.js';
import { CMS, john, mode, postForm, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { discoverClient } from './helpers/relying-party.js';

const mary = { username: 'mary', password: 'pass123-long-enough' };
const device = { id: 'lab-cli', name: 'Lab CLI' };
const MAX_WRONG_CODES = 3;

/** RFC 8628 with openid-client as the device and Gatehouse's own pages driven over HTTP. */
describe(`device authorization grant (RFC 8628): a CLI signs in through Gatehouse's pages (${mode})`, () => {
  let gh: TestGatehouse;
  let config: oidc.Configuration;
  before(async () => {
    gh = await startTestGatehouse({ GATEHOUSE_DEVICE_POLL_INTERVAL_SECONDS: '1', GATEHOUSE_DEVICE_CODE_MAX_FAILURES: String(MAX_WRONG_CODES) });
    // A public client: a CLI keeps no secret. No redirect URIs: nothing is redirected to it.
    await gh.gatehouse.services.clients.create({ actor: 'test' }, {
      clientId: device.id, clientName: device.name, grantTypes: [DEVICE_CODE_GRANT, 'refresh_token'], tokenEndpointAuthMethod: 'none',
      scope: 'openid profile labs offline_access', resources: [CMS], resourceScopes: ['cases:read'],
    });
    config = await discoverClient(gh.issuer, device.id);
  });
  after(async () => gh?.stop());
  // Every test comes from 127.0.0.1: each starts with the address's wrong-code budget unspent.
  beforeEach(async () => gh.gatehouse.storage.store.delete(['device-code-failures:127.0.0.1', 'device-code-failures:::ffff:127.0.0.1']));

  /** The person's side: the code page, then the confirmation page. */
  async function enterCode(browser: FormBrowser, verificationUri: string, userCode: string): Promise<Page> {
    const page = await browser.go(verificationUri);
    assert.equal(page.status, 200);
    assert.match(page.html, /Enter the code your device shows/);
    return browser.submit(page, '/device', { user_code: userCode });
  }

  /** Code, confirmation, login and consent on a fresh browser; the page after consent (the done page unless a lab is to be chosen). */
  async function approveAsJohn(verificationUri: string, userCode: string, pages: { afterLogin?: (page: Page) => void } = {}): Promise<Page> {
    const browser = new FormBrowser('http://nowhere.invalid');
    let page = await enterCode(browser, verificationUri, userCode);
    page = await browser.submit(page, '/device');
    page = await browser.submit(page, '/login', { login: john.username, password: john.password });
    pages.afterLogin?.(page);
    return browser.submit(page, '/confirm');
  }

  it('discovery advertises the device authorization endpoint and the grant', async () => {
    const metadata = config.serverMetadata();
    assert.equal(metadata.device_authorization_endpoint, `${gh.issuer}/device/auth`);
    assert.ok(metadata.grant_types_supported?.includes(DEVICE_CODE_GRANT));
  });

  it('a person enters the code, signs in, chooses one of their labs and confirms; the polling device gets tokens whose access token carries that lab', async () => {
    const started = await oidc.initiateDeviceAuthorization(config, { scope: 'openid profile offline_access', resource: CMS });
    assert.equal(started.verification_uri, `${gh.issuer}/device`);
    assert.equal(started.interval, 1, 'the configured polling interval is announced');
    assert.match(started.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    const polling = oidc.pollDeviceAuthorizationGrant(config, started);

    const browser = new FormBrowser('http://nowhere.invalid');
    let page = await enterCode(browser, started.verification_uri, started.user_code.toLowerCase());
    // The confirmation page names the client and shows the code to compare with the device's.
    assert.match(page.html, /Lab CLI/);
    assert.ok(page.html.includes(started.user_code), 'shows the code');
    assert.equal(page.headers.get('content-security-policy'), PAGE_CSP);
    page = await browser.submit(page, '/device');
    assert.match(page.html, /action="\/interaction\/[^"]+\/login"/, 'our login page');
    page = await browser.submit(page, '/login', { login: mary.username, password: mary.password });
    assert.match(page.html, /Allow access/);
    page = await browser.submit(page, '/confirm');
    assert.match(page.html, /Choose a lab/);
    page = await browser.submit(page, '/lab', { lab: 'lab-2' });
    assert.equal(page.status, 200);
    assert.match(page.html, /Device connected/);
    assert.equal(page.headers.get('content-security-policy'), PAGE_CSP);

    const tokens = await polling;
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.aud, CMS);
    assert.equal(claims.lab_id, 'lab-2');
    assert.equal(claims.client_id, device.id);
    assert.ok(tokens.id_token, 'openid was asked for');
    assert.equal(tokens.claims()?.sub, claims.sub);

    // A CLI keeps working without the person: its refresh token stays in the lab chosen.
    assert.ok(tokens.refresh_token, 'offline_access was asked for');
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token, { resource: CMS });
    assert.equal(decodeJwt(refreshed.access_token).lab_id, 'lab-2');
  });

  it('the verification_uri_complete link opens the code page already filled in (no self-submitting script)', async () => {
    const started = await oidc.initiateDeviceAuthorization(config, { scope: 'openid', resource: CMS });
    const browser = new FormBrowser('http://nowhere.invalid');
    const page = await browser.go(started.verification_uri_complete!);
    assert.equal(page.status, 200);
    assert.ok(page.html.includes(`value="${started.user_code}"`), page.html);
    assert.doesNotMatch(page.html, /<script/);
    assert.equal(page.headers.get('content-security-policy'), PAGE_CSP);
  });

  it('a device polling sooner than the interval is told slow_down; one that waits is told authorization_pending', async () => {
    const started = await oidc.initiateDeviceAuthorization(config, { scope: 'openid', resource: CMS });
    const poll = () => postForm(`${gh.issuer}/token`, { grant_type: DEVICE_CODE_GRANT, device_code: started.device_code, client_id: device.id });
    const early = await poll();
    assert.equal(early.status, 400);
    assert.equal(early.body.error, 'slow_down', 'polled at once, before the first interval ended');
    // Polling on regardless (every 100 ms) is slowed down until an interval has passed since the authorization.
    const answers: string[] = [];
    const pending = await eventually(async () => {
      const answer = await poll();
      answers.push(String(answer.body.error));
      return answer.body.error === 'authorization_pending' ? answer : undefined;
    }, { intervalMs: 100, timeoutMs: 5000, what: 'authorization_pending' });
    assert.equal(pending.status, 400);
    assert.ok(answers.slice(0, -1).every((e) => e === 'slow_down'), answers.join());
    assert.equal((await poll()).body.error, 'slow_down', 'and the interval starts again from that answer');
  });

  it('a wrong user code shows the code page again with an error, the code kept in the field', async () => {
    const browser = new FormBrowser('http://nowhere.invalid');
    const page = await enterCode(browser, `${gh.issuer}/device`, 'BCDF-GHJK');
    assert.equal(page.status, 400);
    assert.match(page.html, /That code is not right/);
    assert.ok(page.html.includes('value="BCDF-GHJK"'));
    assert.match(page.html, /action="\/device"/, 'the form is there to try again');
    assert.equal(page.headers.get('content-security-policy'), PAGE_CSP);
  });

  it(`after ${MAX_WRONG_CODES} wrong codes from one address, code entry answers 429 with a page, even for a right code`, async () => {
    const browser = new FormBrowser('http://nowhere.invalid');
    for (let i = 0; i < MAX_WRONG_CODES; i += 1) {
      const page = await enterCode(browser, `${gh.issuer}/device`, `BCDF-GHJ${'KLM'[i]}`);
      assert.equal(page.status, 400, `wrong code ${i + 1} is only wrong`);
    }
    const started = await oidc.initiateDeviceAuthorization(config, { scope: 'openid', resource: CMS });
    const refused = await enterCode(browser, `${gh.issuer}/device`, started.user_code);
    assert.equal(refused.status, 429);
    assert.match(refused.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(refused.html, /Too many wrong codes/);
    assert.equal(refused.headers.get('retry-after'), '900');
    assert.equal(refused.headers.get('content-security-policy'), PAGE_CSP);
  });

  it('cancelling on the confirmation page ends the device\'s wait with access_denied', async () => {
    const started = await oidc.initiateDeviceAuthorization(config, { scope: 'openid', resource: CMS });
    const browser = new FormBrowser('http://nowhere.invalid');
    const confirm = await enterCode(browser, started.verification_uri, started.user_code);
    const forms = [...confirm.html.matchAll(/<form[^>]*>([\s\S]*?)<\/form>/g)].map(([, inner]) => inner!);
    const cancel = forms.find((f) => f.includes('name="abort"'))!;
    const hidden = Object.fromEntries([...cancel.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map(([, n, v]) => [n!, v!]));
    const page = await browser.go(`${gh.issuer}/device`, { method: 'POST', form: hidden });
    assert.match(page.html, /Sign-in was cancelled/);
    await assert.rejects(oidc.pollDeviceAuthorizationGrant(config, started), (error: unknown) => (error as { error?: string }).error === 'access_denied');
  });

  it('a client without the device grant is refused at the device authorization endpoint', async () => {
    const response = await postForm(`${gh.issuer}/device/auth`, { client_id: 'spa', scope: 'openid' });
    assert.equal(response.status, 400);
    // oidc-provider's answer for a grant type the client was not given.
    assert.equal(response.body.error, 'invalid_request');
    assert.match(String(response.body.error_description), /device_code is not allowed for this client/);
  });

  it('hostile input: the device authorization endpoint answers invalid_request JSON even to a browser; the code page answers with a page', async () => {
    const program = await fetch(`${gh.issuer}/device/auth`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html,*/*' }, body: `client_id=${device.id}&scope=openid%00`,
    });
    assert.equal(program.status, 400);
    assert.match(program.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(((await program.json()) as { error: string }).error, 'invalid_request');

    const person = await new FormBrowser('http://nowhere.invalid').go(`${gh.issuer}/device`, { method: 'POST', form: { user_code: 'AB\u0000CD', xsrf: 'x' } });
    assert.equal(person.status, 400);
    assert.match(person.headers.get('content-type') ?? '', /^text\/html/);
  });

  it('a device code cannot be redeemed by another device client', async () => {
    await gh.gatehouse.services.clients.create({ actor: 'test' }, {
      clientId: 'other-cli', grantTypes: [DEVICE_CODE_GRANT], tokenEndpointAuthMethod: 'none', scope: 'openid', resources: [CMS],
    });
    const started = await oidc.initiateDeviceAuthorization(config, { scope: 'openid', resource: CMS });
    const response = await postForm(`${gh.issuer}/token`, { grant_type: DEVICE_CODE_GRANT, device_code: started.device_code, client_id: 'other-cli' });
    assert.equal(response.status, 400);
    assert.equal(response.body.error, 'invalid_grant', JSON.stringify(response.body));
  });

  it('the CLI recipe of docs/INTEGRATION.md (examples/device-login.ts) signs john in', async () => {
    let shown: { url: string; code: string } | undefined;
    const login = deviceLogin({ issuer: gh.issuer, clientId: device.id, resource: CMS, allowHttp: true, show: (instructions) => { shown = instructions; } });
    const { url, code } = await eventually(async () => shown, { what: 'the instructions' });
    const page = await approveAsJohn(url, code);
    assert.match(page.html, /Device connected/);
    const tokens = await login;
    assert.equal(decodeJwt(tokens.access_token).aud, CMS);
    assert.ok(tokens.refresh_token);
  });

  it('a plain OAuth device request (no scope, only resource) gets the client\'s scopes on the resource, as a plain authorization request does', async () => {
    const started = await oidc.initiateDeviceAuthorization(config, { resource: CMS });
    const polling = oidc.pollDeviceAuthorizationGrant(config, started);
    const page = await approveAsJohn(started.verification_uri, started.user_code, {
      afterLogin: (consent) => assert.match(consent.html, /https:\/\/cms\.example/, 'consent names what is asked'),
    });
    assert.match(page.html, /Device connected/);
    const tokens = await polling;
    assert.equal(tokens.id_token, undefined, 'no openid, no ID token');
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.aud, CMS);
    assert.equal(claims.scope, 'cases:read');
  });

  it('a device naming a lab the person is not a member of is not connected, and the page says why', async () => {
    const started = await oidc.initiateDeviceAuthorization(config, { scope: 'openid', resource: CMS, lab: 'lab-2' });
    const polling = oidc.pollDeviceAuthorizationGrant(config, started);
    const page = await approveAsJohn(started.verification_uri, started.user_code);
    assert.match(page.html, /Your device was not connected: .*lab-2/);
    await assert.rejects(polling, (error: unknown) => (error as { error?: string }).error === 'access_denied');
  });

  it('john, with one lab, is not asked to choose one', async () => {
    const started = await oidc.initiateDeviceAuthorization(config, { scope: 'openid', resource: CMS });
    const polling = oidc.pollDeviceAuthorizationGrant(config, started);
    const page = await approveAsJohn(started.verification_uri, started.user_code);
    assert.match(page.html, /Device connected/);
    assert.equal(decodeJwt((await polling).access_token).lab_id, 'lab-1');
  });
});
