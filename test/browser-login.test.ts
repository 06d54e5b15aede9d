import { strict as assert } from 'node:assert';

import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

import { CMS, john, mode, portal, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { discoverClient, portalAuthorization } from './helpers/relying-party.js';

// The Debian package; playwright-core ships no browser of its own.
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

describe(`login and consent in a real browser (headless Chromium, ${mode})`, () => {
  let gh: TestGatehouse;
  let browser: Browser;
  let config: oidc.Configuration;
  const contexts: BrowserContext[] = [];

  before(async () => {
    gh = await startTestGatehouse();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    config = await discoverClient(gh.issuer, portal.id, portal.secret);
  });
  after(async () => {
    await browser?.close();
    await gh?.stop();
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });

  /** A fresh cookie jar per test, so each one starts without a Gatehouse session. */
  async function newPage(options: Parameters<Browser['newContext']>[0] = {}): Promise<Page> {
    const context = await browser.newContext(options);
    contexts.push(context);
    const page = await context.newPage();
    // Nothing listens at the client's callback; answer it here so the navigation completes.
    await page.route(`${new URL(portal.redirectUri).origin}/**`, (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: 'callback reached' }));
    return page;
  }

  const authorizationRequest = () => portalAuthorization(config, { scope: 'openid profile email' });

  it('signs in through the rendered login and consent pages and returns a code that openid-client exchanges', async () => {
    const page = await newPage();
    const request = await authorizationRequest();
    await page.goto(request.url.href);

    assert.equal(await page.title(), 'Sign in · Gatehouse');
    await page.getByLabel('Username or email').fill(john.username);
    await page.getByLabel('Password').fill(john.password);
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.getByRole('heading', { name: 'Allow access' }).waitFor();
    const callbackRequest = page.waitForRequest((r) => r.url().startsWith(portal.redirectUri));
    await page.getByRole('button', { name: 'Allow' }).click();
    const callback = new URL((await callbackRequest).url());

    assert.equal(callback.origin + callback.pathname, portal.redirectUri);
    assert.ok(callback.searchParams.get('code'), 'the callback carries a code');
    assert.equal(callback.searchParams.get('state'), request.state);
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce });
    assert.ok(tokens.access_token);
    assert.equal(tokens.claims()?.aud, portal.id);
  });

  it('shows the generic error for a wrong password, without any Content Security Policy violation', async () => {
    const page = await newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) violations.push(message.text());
    });
    await page.goto((await authorizationRequest()).url.href);
    await page.getByLabel('Username or email').fill(john.username);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();

    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.equal((await alert.textContent())?.trim(), 'Invalid username or password.');
    // The failed attempt keeps what was typed as the login, and leaves the password empty.
    assert.equal(await page.getByLabel('Username or email').inputValue(), john.username);
    assert.equal(await page.getByLabel('Password').inputValue(), '');
    // The stylesheet is the one resource the page loads; it must have applied under the CSP.
    assert.equal(await page.locator('main.card').evaluate((el) => getComputedStyle(el).borderTopStyle), 'solid');
    assert.deepEqual(violations, []);
  });

  it('shows the styled "expired" page, not JSON, when the login form is posted after the interaction cookie is gone', async () => {
    const page = await newPage();
    await page.goto((await authorizationRequest()).url.href);
    // What a browser holds once the interaction (and with it its cookie) has expired.
    await page.context().clearCookies();
    await page.getByLabel('Username or email').fill(john.username);
    await page.getByLabel('Password').fill(john.password);
    const answered = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/login'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    const response = await answered;

    assert.equal(response.status(), 400);
    await page.getByRole('heading', { name: 'This sign-in page has expired' }).waitFor();
    assert.equal(await page.title(), 'This sign-in page has expired · Gatehouse');
    assert.equal(await page.locator('main.card').evaluate((el) => getComputedStyle(el).borderTopStyle), 'solid');
    assert.equal(await page.locator('code.request-id').textContent(), await response.headerValue('x-request-id'));
    assert.doesNotMatch(await page.locator('body').innerText(), /[{}]|"error"/);
  });

  it('shows an HTML error page for an authorization request from an unknown client_id', async () => {
    const page = await newPage();
    const response = await page.goto(`${gh.issuer}/auth?${new URLSearchParams({ client_id: 'unknown', response_type: 'code', scope: 'openid', redirect_uri: portal.redirectUri })}`);
    assert.equal(response?.status(), 400);
    assert.equal(await page.title(), 'The application sent an invalid sign-in request · Gatehouse');
    assert.match(await page.locator('body').innerText(), /invalid_client/);
    assert.doesNotMatch(await page.locator('body').innerText(), /[{}]/);
  });

  it('fits the login form into a 375px-wide phone screen', async () => {
    const width = 375;
    const page = await newPage({ viewport: { width, height: 667 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    await page.goto((await authorizationRequest()).url.href);

    for (const control of [page.getByLabel('Username or email'), page.getByLabel('Password'), page.getByRole('button', { name: 'Sign in' })]) {
      const box = await control.boundingBox();
      assert.ok(box, 'the control is rendered');
      assert.ok(box.x >= 0 && box.x + box.width <= width, `control spans ${box.x}..${box.x + box.width}, viewport is ${width}`);
    }
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= width, 'the page does not scroll sideways');
  });

  it('a user of several labs picks one on the lab picker page, and the access token acts in it', async () => {
    const page = await newPage();
    const { url, verifier, state, nonce } = await portalAuthorization(config, { scope: 'openid labs cases:read', resource: CMS });
    await page.goto(url.href);
    await page.getByLabel('Username or email').fill('mary');
    await page.getByLabel('Password').fill('pass123-long-enough');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Allow' }).click();

    await page.getByRole('heading', { name: 'Choose a lab' }).waitFor();
    await page.getByLabel('Second Lab').check();
    const callbackRequest = page.waitForRequest((r) => r.url().startsWith(portal.redirectUri));
    await page.getByRole('button', { name: 'Continue' }).click();
    const callback = new URL((await callbackRequest).url());
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.lab_id, 'lab-2');
    assert.equal(claims.lab_role, 'viewer');
    assert.deepEqual(claims.roles, ['manager']);
  });
});
