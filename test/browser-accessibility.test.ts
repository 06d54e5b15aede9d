import { strict as assert } from 'node:assert';

import * as oidc from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';

import { assertAccessible, assertAccessibleAtBothWidths, launchChromium } from './helpers/browser.js';
import { CMS, john, mode, portal, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { discoverClient, portalAuthorization } from './helpers/relying-party.js';

const LOGO = 'https://cdn.example/portal-logo.svg';
const LOGO_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="80" height="40"><rect width="80" height="40" fill="#0b5394"/></svg>';
const BRANDING = { clients: { [portal.id]: { displayName: 'Portal Team', logoUrl: LOGO, accentColour: '#0b5394' } } };
const mary = { username: 'mary', password: 'pass123-long-enough' };

describe(`pages are accessible, localised and branded in a real browser (headless Chromium, ${mode})`, () => {
  let gh: TestGatehouse;
  let browser: Browser;
  let config: oidc.Configuration;
  const contexts: BrowserContext[] = [];

  before(async () => {
    gh = await startTestGatehouse({ GATEHOUSE_BRANDING: JSON.stringify(BRANDING) });
    browser = await launchChromium();
    config = await discoverClient(gh.issuer, portal.id, portal.secret);
  });
  after(async () => {
    await browser?.close();
    await gh?.stop();
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });

  /** A fresh browser profile; CSP violations are collected (there must be none). */
  async function newPage(options: Parameters<Browser['newContext']>[0] = {}): Promise<{ page: Page; cspViolations: string[] }> {
    const context = await browser.newContext(options);
    contexts.push(context);
    const page = await context.newPage();
    const cspViolations: string[] = [];
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) cspViolations.push(message.text());
    });
    await page.route(`${new URL(portal.redirectUri).origin}/**`, (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: 'callback reached' }));
    // The configured logo's host, answered here: the test has no outside network.
    await page.route(LOGO, (route) => route.fulfill({ status: 200, contentType: 'image/svg+xml', body: LOGO_SVG }));
    return { page, cspViolations };
  }

  it('login, consent, lab picker, an error page and /account pass axe-core at 375 px and 1280 px', async () => {
    const { page, cspViolations } = await newPage();
    await page.goto((await portalAuthorization(config, { scope: 'openid labs cases:read', resource: CMS })).url.href);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await assertAccessibleAtBothWidths(page, 'login page');
    // Focus starts in the first field and Tab follows the page from top to bottom.
    const focusOrder: string[] = [];
    for (let i = 0; i < 5; i++) {
      focusOrder.push(await page.evaluate(() => {
        const active = document.activeElement as HTMLElement;
        return active.id || active.textContent!.trim();
      }));
      await page.keyboard.press('Tab');
    }
    assert.deepEqual(focusOrder, ['login', 'password', 'Sign in', 'Use a passkey', 'Cancel']);

    await page.getByLabel('Username or email').fill(mary.username);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    await assertAccessible(page, 'login page with an error');

    await page.getByLabel('Password').fill(mary.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Allow access' }).waitFor();
    await assertAccessibleAtBothWidths(page, 'consent page');

    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByRole('heading', { name: 'Choose a lab' }).waitFor();
    await assertAccessibleAtBothWidths(page, 'lab picker');

    await page.goto(`${gh.issuer}/auth?client_id=no-such-client&response_type=code&scope=openid`);
    await page.getByRole('alert').waitFor();
    await assertAccessibleAtBothWidths(page, 'error page');

    await page.goto(`${gh.issuer}/account`);
    await page.getByRole('heading', { name: 'Your account' }).or(page.getByRole('heading', { name: 'Sign in' })).waitFor();
    if (await page.getByLabel('Username or email').isVisible()) {
      await page.getByLabel('Username or email').fill(john.username);
      await page.getByLabel('Password').fill(john.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Your account' }).waitFor();
    }
    await assertAccessibleAtBothWidths(page, '/account');
    // The pages follow the system's dark mode (color-scheme: light dark): readable there too.
    await page.emulateMedia({ colorScheme: 'dark' });
    await assertAccessible(page, '/account in dark mode');
    await page.goto(`${gh.issuer}/auth?client_id=no-such-client&response_type=code&scope=openid`);
    await assertAccessible(page, 'error page in dark mode');
    assert.deepEqual(cspViolations, []);
  });

  it('speaks German when Accept-Language asks for it, and passes axe-core in German too', async () => {
    const { page } = await newPage({ locale: 'de-DE', extraHTTPHeaders: { 'Accept-Language': 'de-DE,de;q=0.9,en;q=0.5' } });
    await page.goto((await portalAuthorization(config, { scope: 'openid' })).url.href);
    await page.getByRole('heading', { name: 'Anmelden' }).waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'de');
    assert.equal(await page.title(), 'Anmelden · Portal Team');
    await page.getByLabel('Benutzername oder E-Mail').fill(john.username);
    await page.getByLabel('Passwort').fill('falsch-falsch-falsch');
    await page.getByRole('button', { name: 'Anmelden' }).click();
    assert.equal((await page.getByRole('alert').textContent())?.trim(), 'Benutzername oder Passwort ist falsch.');
    await assertAccessible(page, 'German login page');

    await page.goto(`${gh.issuer}/auth?client_id=no-such-client&response_type=code&scope=openid`);
    await page.getByRole('heading', { name: 'Die Anwendung hat eine ungültige Anmeldeanfrage gesendet' }).waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'de');
  });

  it('lets ui_locales outrank Accept-Language, both ways', async () => {
    const german = new URL((await portalAuthorization(config, { scope: 'openid' })).url.href);
    german.searchParams.set('ui_locales', 'de-CH fr');
    const { page } = await newPage({ extraHTTPHeaders: { 'Accept-Language': 'en-US,en;q=0.9' } });
    await page.goto(german.href);
    await page.getByRole('heading', { name: 'Anmelden' }).waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'de');

    const english = new URL((await portalAuthorization(config, { scope: 'openid' })).url.href);
    english.searchParams.set('ui_locales', 'en');
    const other = await newPage({ extraHTTPHeaders: { 'Accept-Language': 'de' } });
    await other.page.goto(english.href);
    await other.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.equal(await other.page.getAttribute('html', 'lang'), 'en');
  });

  it("wears the client's brand from configuration: name, logo and accent colour, under the strict CSP", async () => {
    const { page, cspViolations } = await newPage();
    await page.goto((await portalAuthorization(config, { scope: 'openid' })).url.href);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.equal(await page.locator('header.brand .brand-name').textContent(), 'Portal Team');
    const logo = page.locator('header.brand img.logo');
    assert.equal(await logo.getAttribute('src'), LOGO);
    await page.waitForFunction(() => (document.querySelector('header.brand img.logo') as HTMLImageElement | null)?.complete === true);
    assert.ok(await logo.evaluate((img: HTMLImageElement) => img.naturalWidth > 0), 'the logo loaded (its origin is in img-src)');
    const accent = await page.getByRole('button', { name: 'Sign in' }).evaluate((button) => getComputedStyle(button).backgroundColor);
    assert.equal(accent, 'rgb(11, 83, 148)');
    assert.deepEqual(cspViolations, []);

    // Another client's pages keep Gatehouse's own look.
    const plain = await (await fetch(`${gh.issuer}/auth?client_id=no-such-client&response_type=code&scope=openid`, { headers: { accept: 'text/html' } })).text();
    assert.match(plain, /<title>[^<]* · Gatehouse<\/title>/);
    assert.doesNotMatch(plain, /brands\.css|class="brand/);
  });
});
