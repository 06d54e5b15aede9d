import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';

import { decodeJwt } from 'jose';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

import { ACR_MULTI_FACTOR } from '../src/domain/factors/authentication-methods.js';
import { CODE_REFUSED } from '../src/interactions/second-factor-routes.js';
import { freePort, mode, portal, postForm, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { codeFor } from './helpers/second-factor-flow.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const PASSWORD = 'pass123-long-enough';

describe(`second factors in a real browser: TOTP enrolment and sign-in, passkeys with a virtual authenticator (headless Chromium, ${mode})`, () => {
  let gh: TestGatehouse;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  before(async () => {
    // WebAuthn refuses IP addresses as relying party ids: the issuer is http://localhost here.
    const port = await freePort();
    gh = await startTestGatehouse({ PORT: String(port), ISSUER: `http://localhost:${port}` });
    for (const username of ['tom', 'pia', 'ada', 'kim']) {
      await gh.gatehouse.services.users.create({ actor: 'test' }, { username, password: PASSWORD }, { mayGrantAdmin: true });
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await gh?.stop();
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });

  async function newPage(): Promise<{ page: Page; violations: string[] }> {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => { if (message.text().includes('Content Security Policy')) violations.push(message.text()); });
    if (process.env.DEBUG_BROWSER) page.on('requestfailed', (r) => console.log('failed', r.url(), r.failure()?.errorText));
    return { page, violations };
  }

  /** Opens an authorization request of `portal`; `redeem` exchanges the code the callback receives. */
  async function authorize(page: Page, params: Record<string, string> = {}) {
    const verifier = randomBytes(32).toString('base64url');
    const url = new URL(`${gh.issuer}/auth`);
    url.search = new URLSearchParams({
      client_id: portal.id, response_type: 'code', redirect_uri: portal.redirectUri, scope: 'openid',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256', ...params,
    }).toString();
    const callback = page.waitForRequest((r) => r.url().startsWith(portal.redirectUri), { timeout: 15_000 });
    // The previous callback's error page may still be committing: then navigate once more.
    // A navigation reported as interrupted by another to the same request (the login page is
    // its answer) or to an interaction page it leads to has arrived.
    const arrived = (error: Error) => error.message.includes(`interrupted by another navigation to "${url.href}"`) || /interrupted by another navigation to "[^"]*\/interaction\//.test(error.message);
    await page.goto(url.href).catch(async (error: Error) => {
      if (!/interrupted by another navigation/.test(error.message)) throw error;
      await page.waitForLoadState().catch(() => undefined);
      if (arrived(error)) return;
      await page.goto(url.href).catch(async (again: Error) => {
        if (!arrived(again)) throw again;
        await page.waitForLoadState().catch(() => undefined);
      });
    });
    return {
      async redeem(): Promise<Record<string, any>> {
        const request = await callback;
        // Nothing listens at the callback: the code is read from the request; the browser ends on its error page.
        await request.response().catch(() => null);
        await page.waitForLoadState().catch(() => undefined);
        const code = new URL(request.url()).searchParams.get('code');
        assert.ok(code, 'the callback carries a code');
        const { status, body } = await postForm(`${gh.issuer}/token`, { grant_type: 'authorization_code', code, redirect_uri: portal.redirectUri, code_verifier: verifier }, portal);
        assert.equal(status, 200, JSON.stringify(body));
        return body;
      },
    };
  }

  async function password(page: Page, username: string) {
    await page.getByLabel('Username or email').fill(username);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  /** Consents when the consent page comes (a person's first sign-in to the portal), else the callback is reached. */
  async function allowIfAsked(page: Page) {
    const allow = page.getByRole('button', { name: 'Allow' });
    const consent = allow.waitFor({ timeout: 20_000 }).then(() => 'consent' as const);
    const callback = page.waitForRequest((r) => r.url().startsWith(portal.redirectUri), { timeout: 20_000 }).then(() => 'callback' as const);
    consent.catch(() => undefined);
    callback.catch(() => undefined);
    if (await Promise.race([consent, callback]) === 'consent') await allow.click();
  }

  it('enrols an authenticator app (QR code, key, recovery codes), signs in again with password and code, and a replayed code is refused', async () => {
    const { page, violations } = await newPage();
    const first = await authorize(page, { acr_values: ACR_MULTI_FACTOR });
    await password(page, 'tom');
    await page.getByRole('heading', { name: 'Set up a second factor' }).waitFor();
    assert.ok(await page.getByAltText(/QR code/).evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), 'the QR code image rendered under the CSP');
    const secret = (await page.locator('code.totp-secret').textContent())!.trim();
    await page.getByLabel('Code the app shows').fill(codeFor(secret));
    await page.getByRole('button', { name: 'Set up the app' }).click();
    await page.getByRole('heading', { name: 'Second factor ready' }).waitFor();
    assert.equal(await page.locator('ol.recovery-codes li').count(), 10);
    await page.getByRole('button', { name: 'Continue' }).click();
    await allowIfAsked(page);
    assert.deepEqual(decodeJwt((await first.redeem()).id_token).amr, ['pwd', 'otp', 'mfa']);

    // Signed out: a new browser session; the password alone is not enough any more.
    await page.context().clearCookies();
    const second = await authorize(page);
    await password(page, 'tom');
    await page.getByRole('heading', { name: 'Second step' }).waitFor();
    const code = codeFor(secret, 1);
    await page.getByLabel(/Code from your authenticator app/).fill(code);
    await page.getByRole('button', { name: 'Verify' }).click();
    await allowIfAsked(page);
    const tokens = await second.redeem();
    assert.deepEqual([decodeJwt(tokens.id_token).amr, decodeJwt(tokens.id_token).acr], [['pwd', 'otp', 'mfa'], ACR_MULTI_FACTOR]);

    await page.context().clearCookies();
    await authorize(page);
    await password(page, 'tom');
    await page.getByLabel(/Code from your authenticator app/).fill(code);
    await page.getByRole('button', { name: 'Verify' }).click();
    assert.equal((await page.getByRole('alert').textContent())?.trim(), CODE_REFUSED);
    assert.deepEqual(violations, []);
  });

  it('registers a passkey on a virtual authenticator during sign-in, then signs in with it and no username or password', async () => {
    const { page, violations } = await newPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });

    const first = await authorize(page, { acr_values: ACR_MULTI_FACTOR });
    await password(page, 'pia');
    await page.getByRole('button', { name: 'Create a passkey' }).click();
    await page.getByRole('heading', { name: 'Second factor ready' }).waitFor();
    await page.getByRole('button', { name: 'Continue' }).click();
    await allowIfAsked(page);
    assert.deepEqual(decodeJwt((await first.redeem()).id_token).amr, ['pwd', 'hwk', 'mfa']);

    await page.context().clearCookies();
    const second = await authorize(page);
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await allowIfAsked(page);
    const idToken = decodeJwt((await second.redeem()).id_token);
    assert.deepEqual([idToken.amr, idToken.acr], [['hwk', 'mfa'], ACR_MULTI_FACTOR]);
    const [{ id }] = await gh.gatehouse.storage.db('users').select('id').where({ username: 'pia' });
    assert.equal(idToken.sub, id);
    assert.deepEqual(violations, []);
  });

  it('enrols an authenticator app on the account page, confirms it with a code from the shown key, signs out, and signs in again with password and code', async () => {
    const { page, violations } = await newPage();
    await page.goto(`${gh.issuer}/account`);
    await password(page, 'kim');
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    await page.getByRole('link', { name: 'Add an authenticator app' }).click();
    assert.ok(await page.getByAltText(/QR code/).evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), 'the QR code image rendered under the CSP');
    const secret = (await page.locator('code.totp-secret').textContent())!.trim();
    await page.getByLabel('Name (optional)').fill('Kim\'s phone');
    // The code as an app computes it from the key (otpauth, the library Gatehouse checks with).
    await page.getByLabel('Code the app shows').fill(codeFor(secret));
    await page.getByRole('button', { name: 'Add the app' }).click();
    await page.getByRole('heading', { name: 'Your recovery codes' }).waitFor();
    assert.equal(await page.locator('ol.recovery-codes li').count(), 10);
    await page.getByRole('link', { name: 'Back to your account' }).click();
    assert.equal(await page.locator('[data-kind="totp"]').count(), 1);
    assert.match((await page.locator('[data-kind="totp"] strong').textContent()) ?? '', /Kim's phone/);

    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByText('You are signed out of Gatehouse in this browser.').waitFor();
    await page.goto(`${gh.issuer}/account`);
    await password(page, 'kim');
    await page.getByRole('heading', { name: 'Second step' }).waitFor();
    const code = codeFor(secret, 1);
    await page.getByLabel(/Code from your authenticator app/).fill(code);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    assert.equal(await page.locator('[data-kind="totp"]').count(), 1);

    // Signed out again: the code just used is refused the second time.
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByText('You are signed out of Gatehouse in this browser.').waitFor();
    await page.goto(`${gh.issuer}/account`);
    await password(page, 'kim');
    await page.getByLabel(/Code from your authenticator app/).fill(code);
    await page.getByRole('button', { name: 'Verify' }).click();
    assert.equal((await page.getByRole('alert').textContent())?.trim(), CODE_REFUSED);
    assert.deepEqual(violations, []);
  });

  it('adds a passkey on the account page (the first factor brings recovery codes, shown once), then signs in with it', async () => {
    const { page, violations } = await newPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    await page.goto(`${gh.issuer}/account`);
    await password(page, 'ada');
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByRole('heading', { name: 'Your recovery codes' }).waitFor();
    assert.equal(await page.locator('ol.recovery-codes li').count(), 10);
    await page.getByRole('link', { name: 'Back to your account' }).click();
    assert.equal(await page.locator('[data-kind="passkey"]').count(), 1);

    await page.context().clearCookies();
    const next = await authorize(page);
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await allowIfAsked(page);
    assert.deepEqual(decodeJwt((await next.redeem()).id_token).amr, ['hwk', 'mfa']);
    assert.deepEqual(violations, []);
  });
});
