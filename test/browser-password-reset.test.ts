import { strict as assert } from 'node:assert';

import * as oidc from 'openid-client';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

import { mode, portal, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { discoverClient, portalAuthorization } from './helpers/relying-party.js';
import { linkIn, startSmtpSink } from './helpers/smtp-sink.js';

// The Debian package; playwright-core ships no browser of its own.
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const NEW_PASSWORD = 'lena-chose-a-new-passphrase';

describe(`password reset in a real browser through a real SMTP server (headless Chromium, ${mode})`, () => {
  let gh: TestGatehouse;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let browser: Browser;
  let config: oidc.Configuration;
  const contexts: BrowserContext[] = [];

  before(async function () {
    // A file run alone also makes the embedded database template first (seconds, more on a busy machine).
    this.timeout(120_000);
    smtp = await startSmtpSink();
    gh = await startTestGatehouse({ SMTP_URL: smtp.url });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    config = await discoverClient(gh.issuer, portal.id, portal.secret);
  });
  after(async () => {
    for (const context of contexts.splice(0)) await context.close();
    await browser?.close();
    await gh?.stop();
    await smtp?.close();
  });

  /** A fresh cookie jar, collecting Content Security Policy violations. */
  async function newPage(violations: string[]): Promise<Page> {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) violations.push(message.text());
    });
    await page.route(`${new URL(portal.redirectUri).origin}/**`, (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: 'callback reached' }));
    return page;
  }

  it('follows "Forgot your password?" from the login page, opens the mailed link, sets a new password and signs in with it', async () => {
    const violations: string[] = [];
    const page = await newPage(violations);
    await page.goto((await portalAuthorization(config, { scope: 'openid' })).url.href);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
    await page.getByLabel('Email address').fill('lena@test.com');
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.getByRole('heading', { name: 'Check your mail' }).waitFor();

    // The link as the person's mail client shows it, opened in a new browser (no cookie of the request).
    const mail = await smtp.next('lena@test.com');
    const mailPage = await newPage(violations);
    await mailPage.goto(linkIn(mail).href);
    await mailPage.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await mailPage.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await mailPage.getByLabel('New password again').fill(NEW_PASSWORD);
    await mailPage.getByRole('button', { name: 'Set the new password' }).click();
    await mailPage.getByRole('heading', { name: 'Your password was changed' }).waitFor();

    // Signs in at the application with the new password.
    const signIn = await newPage(violations);
    const request = await portalAuthorization(config, { scope: 'openid' });
    await signIn.goto(request.url.href);
    await signIn.getByLabel('Username or email').fill('lena');
    await signIn.getByLabel('Password').fill(NEW_PASSWORD);
    await signIn.getByRole('button', { name: 'Sign in' }).click();
    await signIn.getByRole('heading', { name: 'Allow access' }).waitFor();
    const callback = signIn.waitForRequest((r) => r.url().startsWith(portal.redirectUri));
    await signIn.getByRole('button', { name: 'Allow' }).click();
    const reached = new URL((await callback).url());
    assert.ok(reached.searchParams.get('code'), `at the client's callback with a code: ${reached.href}`);
    assert.equal(reached.searchParams.get('state'), request.state);

    // The link is spent.
    await mailPage.goto(linkIn(mail).href);
    await mailPage.getByRole('heading', { name: 'This link cannot be used' }).waitFor();
    assert.deepEqual(violations, []);
  });
});
