import { strict as assert } from 'node:assert';

import type { Browser, BrowserContext, Page } from 'playwright-core';

import { mode, postForm, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { assertAccessibleAtBothWidths, launchChromium } from './helpers/browser.js';
import { settled, signInToConsole, watchedPage } from './helpers/console-browser.js';
import { eventually } from './helpers/eventually.js';
import { api, lena, opsService, root, serviceToken } from './helpers/management-api.js';

const OVERLAP_SECONDS = 4;

/** The console's platform screens: dashboard charts, clients, resources, webhooks, audit log, signing keys. */
describe(`the admin console's platform screens (headless Chromium, ${mode})`, () => {
  let gh: TestGatehouse;
  let browser: Browser;
  let ops: string;
  const contexts: BrowserContext[] = [];

  before(async () => {
    gh = await startTestGatehouse({
      GATEHOUSE_CLIENT_SECRET_OVERLAP_SECONDS: String(OVERLAP_SECONDS), GATEHOUSE_CLIENT_CACHE_SECONDS: '0',
      // The webhook's receiver is a closed local port: its deliveries fail, which the deliveries table shows.
      GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: 'true', GATEHOUSE_OUTBOUND_ALLOW_HTTP: 'true', GATEHOUSE_EVENTS_POLL_MS: '50',
    });
    browser = await launchChromium();
    ops = await serviceToken(gh.issuer, opsService);
  });
  after(async () => {
    await browser?.close();
    await gh?.stop();
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });

  const newPage = () => watchedPage(browser, contexts);
  const open = async (page: Page, path: string) => {
    await page.goto(`${gh.issuer}/admin/${path}`);
    await settled(page);
  };
  const clientCredentials = (id: string, secret: string) => postForm(`${gh.issuer}/token`, { grant_type: 'client_credentials', resource: 'https://cms.example', scope: 'cases:read' }, { id, secret });

  it('a platform admin rotates a client secret: shown once, both work during the overlap, then only the new one', async () => {
    const created = await api(gh.issuer, ops, 'POST', '/clients', { clientId: 'rotating-service', clientName: 'Rotating service', grantTypes: ['client_credentials'], resources: ['https://cms.example'], resourceScopes: ['cases:read'] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const oldSecret = created.body.clientSecret as string;
    assert.equal((await clientCredentials('rotating-service', oldSecret)).status, 200);

    const { page, problems } = await newPage();
    await signInToConsole(page, gh.issuer, root);
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Clients', exact: true }).click();
    await page.getByRole('link', { name: 'Rotating service' }).click();
    await page.getByRole('heading', { name: 'Rotating service', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const confirm = page.getByRole('dialog', { name: 'Rotate the secret?' });
    await confirm.getByRole('button', { name: 'Rotate secret' }).click();
    const shown = page.getByRole('dialog', { name: 'New secret of rotating-service' });
    const newSecret = await shown.getByLabel('Secret').inputValue();
    assert.ok(newSecret.length >= 32 && newSecret !== oldSecret);
    await shown.getByText(/previous secret keeps working until/).waitFor();
    await shown.getByRole('button', { name: 'I have stored it' }).click();
    await page.getByText(/Two secrets work until/).waitFor();

    assert.equal((await clientCredentials('rotating-service', newSecret)).status, 200, 'the new secret works at once');
    assert.equal((await clientCredentials('rotating-service', oldSecret)).status, 200, 'the old one still works during the overlap');
    await new Promise((resolve) => setTimeout(resolve, (OVERLAP_SECONDS + 1) * 1000));
    assert.equal((await clientCredentials('rotating-service', oldSecret)).status, 401, 'the old one stops after the overlap');
    assert.equal((await clientCredentials('rotating-service', newSecret)).status, 200);
    assert.deepEqual(problems, []);
  });

  it('creates a client from a type with its defaults, and rotates the signing key with pre-publication, by keyboard', async () => {
    const { page, problems } = await newPage();
    await signInToConsole(page, gh.issuer, root);
    await open(page, 'clients');
    await page.getByRole('button', { name: 'New client' }).click();
    await page.getByRole('dialog', { name: 'What are you connecting?' }).getByRole('button', { name: /Single-page app/ }).click();
    const form = page.getByRole('dialog', { name: 'New single-page app' });
    await form.getByLabel('Name').fill('Planner');
    await form.getByLabel('Client id (optional)').fill('planner-spa');
    await form.getByLabel('Redirect URIs (one per line)').fill('https://planner.example/callback');
    await form.getByRole('button', { name: 'Create client' }).click();
    await page.getByRole('heading', { name: 'Planner', level: 1 }).waitFor();
    const spa = (await api(gh.issuer, ops, 'GET', '/clients/planner-spa')).body;
    assert.equal(spa.tokenEndpointAuthMethod, 'none', 'a single-page app is public');
    assert.deepEqual(spa.grantTypes, ['authorization_code', 'refresh_token']);
    assert.deepEqual(spa.redirectUris, ['https://planner.example/callback']);

    await open(page, 'signing-keys');
    const before = (await api(gh.issuer, ops, 'GET', '/signing-keys')).body.items as Array<{ kid: string; status: string }>;
    const rotate = page.getByRole('button', { name: 'Rotate key' });
    await rotate.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Rotate the signing key' });
    await dialog.getByLabel(/In 1 hour/).isChecked();
    await dialog.getByRole('button', { name: 'Rotate' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('cell', { name: 'next' }).waitFor();
    const after = (await api(gh.issuer, ops, 'GET', '/signing-keys')).body.items as Array<{ kid: string; status: string }>;
    assert.equal(after.length, before.length + 1);
    assert.equal(after[0]!.status, 'next');
    assert.equal(after.find((k) => k.status === 'signing')!.kid, before.find((k) => k.status === 'signing')!.kid, 'the current key still signs');
    assert.deepEqual(problems, []);
  });

  it('its screens pass axe-core at 375 px and 1280 px, with data and with dialogs open', async function () {
    // Eleven screens and their dialogs at two widths: longer than the suite's default on a busy machine.
    this.timeout(180_000);
    const hook = await api(gh.issuer, ops, 'POST', '/webhooks', { url: 'http://127.0.0.1:9/gatehouse', description: 'Directory sync' });
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
    assert.equal((await api(gh.issuer, ops, 'POST', '/labs', { id: 'hooked-lab', name: 'Hooked lab' })).status, 201, 'an event for the webhook');
    const { page, problems } = await newPage();
    await signInToConsole(page, gh.issuer, root);
    for (const path of ['', 'clients', 'clients/ops-service', 'resources', 'webhooks', `webhooks/${hook.body.webhook.id}`, 'audit', 'signing-keys']) {
      await open(page, path);
      await assertAccessibleAtBothWidths(page, `/admin/${path}`);
    }
    await eventually(async () => (await api(gh.issuer, ops, 'GET', `/webhooks/${hook.body.webhook.id}/deliveries`)).body.items?.[0], { what: 'a delivery' });
    await open(page, `webhooks/${hook.body.webhook.id}`);
    await assertAccessibleAtBothWidths(page, 'a webhook with a delivery');
    await page.getByRole('button', { name: /^Redeliver lab\.created/ }).click();
    await page.getByText('Queued for delivery.').waitFor();
    await open(page, '');
    await page.locator('svg.chart').first().waitFor();
    await open(page, 'audit');
    await page.getByText(/All \d+ entries link to the one before/).waitFor();
    await page.getByLabel('Action').fill('client.*');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await settled(page);
    assert.match(page.url(), /action=client\.\*/);
    await open(page, 'clients');
    await page.getByRole('button', { name: 'New client' }).click();
    await assertAccessibleAtBothWidths(page, 'the client type dialog');
    await page.keyboard.press('Escape');
    await open(page, 'resources');
    await page.getByRole('button', { name: 'New resource' }).click();
    await assertAccessibleAtBothWidths(page, 'the new resource dialog');
    assert.deepEqual(problems, []);
  });

  it('a lab admin is not offered the platform screens, and the API refuses them anyway', async () => {
    const { page } = await newPage();
    await signInToConsole(page, gh.issuer, lena);
    const nav = page.getByRole('navigation', { name: 'Console' });
    await nav.getByRole('link', { name: 'Webhooks', exact: true }).waitFor();
    for (const name of ['Clients', 'Resources', 'Audit log', 'Signing keys']) assert.equal(await nav.getByRole('link', { name, exact: true }).count(), 0, name);
    await open(page, 'signing-keys');
    await page.getByText('Your role does not allow this screen.').waitFor();
    await open(page, '');
    assert.equal(await page.locator('svg.chart').count(), 0, 'no per-client charts for a lab admin');
    const token = await page.evaluate(() => (JSON.parse(sessionStorage.getItem('gatehouse-console:tokens')!) as { accessToken: string }).accessToken);
    assert.equal((await api(gh.issuer, token, 'GET', '/signing-keys')).status, 403);
  });
});
