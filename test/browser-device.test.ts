import { strict as assert } from 'node:assert';

import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { chromium, type Browser } from 'playwright-core';

import { DEVICE_CODE_GRANT } from '../src/domain/schemas/client-schemas.js';
import { CMS, mode, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { discoverClient } from './helpers/relying-party.js';

// The Debian package; playwright-core ships no browser of its own.
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

describe(`device authorization in a real browser (headless Chromium, ${mode})`, () => {
  let gh: TestGatehouse;
  let browser: Browser;
  before(async () => {
    gh = await startTestGatehouse({ GATEHOUSE_DEVICE_POLL_INTERVAL_SECONDS: '1' });
    await gh.gatehouse.services.clients.create({ actor: 'test' }, {
      clientId: 'shared-screen', clientName: 'Lab wall screen', grantTypes: [DEVICE_CODE_GRANT], tokenEndpointAuthMethod: 'none', scope: 'openid', resources: [CMS],
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await gh?.stop();
  });

  it('a person follows the verification link, confirms, signs in, picks a lab and allows; the device gets a token for that lab; no page breaks the CSP', async () => {
    const config = await discoverClient(gh.issuer, 'shared-screen');
    const started = await oidc.initiateDeviceAuthorization(config, { scope: 'openid', resource: CMS });
    const polling = oidc.pollDeviceAuthorizationGrant(config, started);

    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const violations: string[] = [];
      page.on('console', (message) => {
        if (message.text().includes('Content Security Policy')) violations.push(message.text());
      });
      await page.goto(started.verification_uri_complete!);
      assert.equal(await page.title(), 'Connect a device · Gatehouse');
      assert.equal(await page.getByLabel('Code').inputValue(), started.user_code);
      // Styled under the CSP: the stylesheet applied.
      assert.equal(await page.locator('main.card').evaluate((el) => getComputedStyle(el).borderTopStyle), 'solid');
      await page.getByRole('button', { name: 'Continue' }).click();

      await page.getByText('Lab wall screen').waitFor();
      assert.equal((await page.locator('p.user-code').textContent())?.trim(), started.user_code);
      await page.getByRole('button', { name: 'Continue' }).click();

      await page.getByLabel('Username or email').fill('mary');
      await page.getByLabel('Password').fill('pass123-long-enough');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Allow' }).click();
      await page.getByRole('heading', { name: 'Choose a lab' }).waitFor();
      await page.getByLabel('Second Lab').check();
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('heading', { name: 'Device connected' }).waitFor();
      assert.deepEqual(violations, []);
    } finally {
      await context.close();
    }
    const tokens = await polling;
    assert.equal(decodeJwt(tokens.access_token).lab_id, 'lab-2');
  });
});
