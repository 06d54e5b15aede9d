import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';

import { decodeJwt } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';

import { packageRoot } from '../src/config/paths.js';
import { CONSOLE_CSP } from '../src/http/routes/console-routes.js';
import { assertAccessible, assertAccessibleAtBothWidths, launchChromium } from './helpers/browser.js';
import { watchedPage } from './helpers/console-browser.js';
import { CMS, mode, postForm, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { lena, root } from './helpers/management-api.js';
import { introspect, userTokens } from './helpers/user-tokens.js';


describe(`the admin console at /admin (headless Chromium, ${mode})`, () => {
  let gh: TestGatehouse;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  before(async () => {
    gh = await startTestGatehouse();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await gh?.stop();
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });

  /** A fresh browser profile; CSP violations and page errors are collected (there must be none). */
  const newPage = (viewport?: { width: number; height: number }) => watchedPage(browser, contexts, viewport);

  /** Opens /admin and signs in on Gatehouse's own login page; resolves on the console's dashboard. */
  async function signIn(page: Page, person: { username: string; password: string }): Promise<void> {
    await page.goto(`${gh.issuer}/admin`);
    await page.getByLabel('Username or email').fill(person.username);
    await page.getByLabel('Password').fill(person.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/admin/');
    assert.equal(new URL(page.url()).search, '', 'the code and state are gone from the address bar');
  }

  const navLink = (page: Page, name: string) => page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true });

  const consoleToken = (page: Page) => page.evaluate(() => (JSON.parse(sessionStorage.getItem('gatehouse-console:tokens')!) as { accessToken: string }).accessToken);

  it('serves the console under a strict CSP: own scripts and styles only, nothing inline, never framed', async () => {
    const moved = await fetch(`${gh.issuer}/admin`, { redirect: 'manual' });
    assert.equal(moved.status, 308);
    assert.equal(moved.headers.get('location'), '/admin/');
    for (const path of ['/admin/', '/admin/users/some-user', '/admin/main.js', '/admin/console.css', '/admin/screens/users.js']) {
      const response = await fetch(`${gh.issuer}${path}`);
      assert.equal(response.status, 200, path);
      const csp = response.headers.get('content-security-policy') ?? '';
      assert.equal(csp, CONSOLE_CSP, path);
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.match(csp, /style-src 'self'(;|$)/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
      assert.equal(response.headers.get('x-frame-options'), 'DENY');
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      const text = await response.text();
      if (path.endsWith('.js')) assert.match(response.headers.get('content-type')!, /^text\/javascript/);
      if (!path.includes('.')) {
        assert.match(response.headers.get('content-type')!, /^text\/html/);
        assert.doesNotMatch(text, /<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline script');
        assert.doesNotMatch(text, /<style|\sstyle=/i, 'no inline style');
        assert.match(text, /<meta name="gatehouse-issuer" content="http:\/\/127\.0\.0\.1:\d+">/);
      }
    }
    assert.equal((await fetch(`${gh.issuer}/admin/no-such-file.js`)).status, 404);
    // The compiled scripts set no style attributes either (the CSP would block them).
    for (const file of ['main.js', 'screens/users.js', 'screens/labs.js', 'ui/table.js', 'ui/form.js']) {
      assert.doesNotMatch(readFileSync(`${packageRoot}packages/console/dist/${file}`, 'utf8'), /\.style\.|setAttribute\('style'|innerHTML/, file);
    }
  });

  it('a platform admin creates a lab and a user, adds the member, grants a role that the next token carries, then blocks the user', async () => {
    const { page, problems } = await newPage();
    await signIn(page, root);
    await page.getByText('You are a platform admin').waitFor();

    await navLink(page, 'Labs').click();
    await page.getByRole('heading', { name: 'Labs', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'New lab' }).click();
    const labDialog = page.getByRole('dialog', { name: 'New lab' });
    await labDialog.getByLabel('Name').fill('Console Lab');
    await labDialog.getByLabel('Id (optional)').fill('console-lab');
    await labDialog.getByRole('button', { name: 'Create lab' }).click();
    await page.getByRole('heading', { name: 'Console Lab', level: 1 }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/admin/labs/console-lab');
    await page.getByText('No members yet.').waitFor();

    await navLink(page, 'Users').click();
    await page.getByRole('button', { name: 'New user' }).click();
    const userDialog = page.getByRole('dialog', { name: 'New user' });
    await userDialog.getByLabel('Username').fill('carla');
    await userDialog.getByLabel('Email').fill('carla@test.com');
    await userDialog.getByLabel('First password').fill('short');
    await userDialog.getByRole('button', { name: 'Create user' }).click();
    // The API's refusal is shown beside the field it names.
    const passwordField = userDialog.getByLabel('First password');
    await page.waitForFunction(() => document.querySelector('dialog [name="password"]')?.getAttribute('aria-invalid') === 'true');
    assert.match(await userDialog.locator('.field-error').filter({ hasText: /./ }).first().textContent() ?? '', /characters|password/i);
    await passwordField.fill('carla-password-long-enough');
    await userDialog.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('heading', { name: 'carla', level: 1 }).waitFor();
    const carlaId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);

    // Search runs on the server.
    await page.getByRole('link', { name: '← All users' }).click();
    await page.getByLabel('Search users').fill('carl');
    await page.getByRole('link', { name: 'carla' }).waitFor();
    await page.getByRole('status').filter({ hasText: '1–1 of 1 user' }).waitFor();

    await page.goto(`${gh.issuer}/admin/labs/console-lab`);
    await page.getByRole('button', { name: 'Add member' }).click();
    const memberDialog = page.getByRole('dialog', { name: 'Add a member' });
    await memberDialog.getByLabel('Username or user id').fill('carla');
    await memberDialog.getByLabel('Role').selectOption('member');
    await memberDialog.getByRole('button', { name: 'Add member' }).click();
    await page.getByRole('link', { name: 'carla' }).click();
    await page.getByRole('heading', { name: 'carla', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'console-lab' }).waitFor();

    await page.getByRole('button', { name: 'Grant a role' }).click();
    const roleDialog = page.getByRole('dialog', { name: 'Grant carla a role' });
    await roleDialog.getByLabel('Role').selectOption({ label: `Case service (${CMS}): technician` });
    await roleDialog.getByLabel('Where').selectOption('console-lab');
    await roleDialog.getByRole('button', { name: 'Grant role' }).click();
    await page.getByRole('row', { name: /technician/ }).waitFor();

    const carla = { username: 'carla', password: 'carla-password-long-enough' };
    const tokens = await userTokens(gh.issuer, { user: carla, scope: 'openid cases:read', resource: CMS, extra: { lab: 'console-lab' } });
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.sub, carlaId);
    assert.equal(claims.lab_id, 'console-lab');
    assert.deepEqual(claims.roles, ['technician']);
    assert.equal((await introspect(gh.issuer, tokens.access_token)).active, true);

    await page.getByRole('button', { name: 'Block' }).click();
    const blockDialog = page.getByRole('dialog', { name: 'Block carla?' });
    // A reason is required: confirming without one is refused in place.
    await blockDialog.getByRole('button', { name: 'Block user' }).click();
    assert.equal(await blockDialog.getByLabel('Reason (kept in the audit log)').getAttribute('aria-invalid'), 'true');
    await blockDialog.getByLabel('Reason (kept in the audit log)').fill('left the company');
    await blockDialog.getByRole('button', { name: 'Block user' }).click();
    await page.getByTestId('user-status').getByText('blocked').waitFor();
    assert.equal((await introspect(gh.issuer, tokens.access_token)).active, false);
    await page.getByRole('button', { name: 'Restore' }).waitFor();

    // Filters run on the server and stay in the address.
    await navLink(page, 'Users').click();
    await page.getByLabel('Status').selectOption('blocked');
    await page.getByRole('status').filter({ hasText: '1–2 of 2 users' }).waitFor();
    assert.deepEqual(await page.locator('table.data tbody tr th').allTextContents(), ['blocked-bob', 'carla']);
    assert.equal(new URL(page.url()).searchParams.get('status'), 'blocked');
    assert.deepEqual(problems, []);
  });

  it('a lab admin sees only her lab, is offered no platform actions, and a crafted request for another lab\'s member is refused', async () => {
    const { page, problems } = await newPage();
    await signIn(page, lena);
    await page.getByText('You are the admin of lab lab-1').waitFor();

    await navLink(page, 'Your lab').click();
    await page.getByRole('status').filter({ hasText: '1–1 of 1 lab' }).waitFor();
    assert.deepEqual(await page.locator('table.data tbody tr th').allTextContents(), ['Test Lab']);
    assert.equal(await page.getByRole('button', { name: 'New lab' }).count(), 0);

    await navLink(page, 'Users').click();
    await page.getByRole('status').filter({ hasText: /of \d+ users?/ }).waitFor();
    const names = await page.locator('table.data tbody tr th').allTextContents();
    assert.ok(names.includes('john') && names.includes('lena'), names.join());
    assert.ok(!names.includes('otto') && !names.includes('root') && !names.includes('sue'), names.join());

    await page.getByRole('link', { name: 'john' }).click();
    await page.getByRole('heading', { name: 'john', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Set password' }).waitFor();
    // Blocking and deleting are for platform admins: not offered.
    assert.equal(await page.getByRole('button', { name: 'Block' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Delete user' }).count(), 0);
    // She grants roles limited to her lab (typing the resource: listing resources is for platform admins), and withdraws them after confirming.
    await page.getByRole('button', { name: 'Grant a role' }).click();
    const roleDialog = page.getByRole('dialog', { name: 'Grant john a role' });
    await roleDialog.getByLabel('Resource URI').fill(CMS);
    await roleDialog.getByLabel('Role').fill('manager');
    assert.equal(await roleDialog.getByLabel('Where').inputValue(), 'lab-1');
    await roleDialog.getByRole('button', { name: 'Grant role' }).click();
    await page.getByRole('row', { name: /manager/ }).getByText('lab lab-1').waitFor();
    await page.getByRole('button', { name: `Withdraw manager on ${CMS} in lab-1` }).click();
    await page.getByRole('dialog', { name: 'Withdraw this role?' }).getByRole('button', { name: 'Withdraw' }).click();
    await page.getByRole('row', { name: /manager/ }).waitFor({ state: 'detached' });
    // The global role john holds is shown, but not hers to withdraw.
    await page.getByRole('row', { name: /technician/ }).waitFor();
    assert.equal(await page.getByRole('button', { name: /^Withdraw technician/ }).count(), 0);

    // Another lab's page shows the API's refusal, not its members.
    await page.goto(`${gh.issuer}/admin/labs/lab-2`);
    await page.getByRole('alert').filter({ hasText: 'Not found' }).waitFor();

    const token = await consoleToken(page);
    const ids = await page.evaluate(async ({ token: t }) => {
      const r = await fetch('/api/v1/users?username=otto', { headers: { authorization: `Bearer ${t}` } });
      return { status: r.status, body: await r.json() as { items: unknown[] } };
    }, { token });
    assert.equal(ids.status, 200);
    assert.equal(ids.body.items.length, 0, 'otto is not in her lab, so she cannot even find him');
    const otto = await fetch(`${gh.issuer}/api/v1/users?username=otto`, { headers: { authorization: `Bearer ${await adminToken(page)}` } }).then((r) => r.json()) as { items: Array<{ id: string }> };
    const crafted = await page.evaluate(async ({ token: t, ottoId }) => {
      const member = await fetch(`/api/v1/labs/lab-2/members/${ottoId}`, { headers: { authorization: `Bearer ${t}` } });
      const change = await fetch(`/api/v1/labs/lab-2/members/${ottoId}`, { method: 'PATCH', headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' }, body: JSON.stringify({ status: 'suspended' }) });
      return [member.status, change.status];
    }, { token, ottoId: otto.items[0]!.id });
    for (const status of crafted) assert.ok(status === 403 || status === 404, `refused: ${crafted.join()}`);
    assert.deepEqual(problems, []);
  });

  it('takes a person back to the page they asked for after signing in, and tells someone who is no admin that the console is not for them', async () => {
    const { page, problems } = await newPage();
    await page.goto(`${gh.issuer}/admin/labs?q=second`);
    await page.getByLabel('Username or email').fill(root.username);
    await page.getByLabel('Password').fill(root.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Labs', level: 1 }).waitFor();
    assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, '/admin/labs?q=second');
    await page.getByRole('status').filter({ hasText: '1–1 of 1 lab' }).waitFor();
    assert.equal(await page.getByLabel('Search labs').inputValue(), 'second');

    const other = await newPage();
    await other.page.goto(`${gh.issuer}/admin/`);
    await other.page.getByLabel('Username or email').fill('john');
    await other.page.getByLabel('Password').fill('pass123-long-enough');
    await other.page.getByRole('button', { name: 'Sign in' }).click();
    await other.page.getByRole('heading', { name: 'Not an administrator', level: 1 }).waitFor();
    assert.equal(await other.page.getByRole('navigation', { name: 'Console' }).getByRole('link').count(), 0);
    assert.deepEqual([...problems, ...other.problems], []);
  });

  it('refreshes its short-lived API token in place, and signing out ends the console\'s grant', async () => {
    const { page, problems } = await newPage();
    await signIn(page, root);
    const stored = () => page.evaluate(() => JSON.parse(sessionStorage.getItem('gatehouse-console:tokens') ?? 'null') as { accessToken: string; refreshToken?: string; expiresAt: number } | null);
    const before = (await stored())!;
    assert.ok(before.refreshToken, 'offline_access brought a refresh token');
    assert.equal(await page.evaluate(() => localStorage.length), 0, 'nothing in localStorage');
    // As if the five minutes were up: the next API call refreshes first.
    await page.evaluate(() => {
      const tokens = JSON.parse(sessionStorage.getItem('gatehouse-console:tokens')!) as { expiresAt: number };
      tokens.expiresAt = Date.now();
      sessionStorage.setItem('gatehouse-console:tokens', JSON.stringify(tokens));
    });
    await navLink(page, 'Users').click();
    await page.getByRole('status').filter({ hasText: /of \d+ users/ }).waitFor();
    const after = (await stored())!;
    assert.notEqual(after.accessToken, before.accessToken);
    assert.notEqual(after.refreshToken, before.refreshToken, 'the refresh token rotated');
    assert.ok(after.expiresAt > Date.now() + 60_000);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.getByRole('heading', { name: 'Signed out', level: 1 }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/admin/');
    assert.equal(await stored(), null);
    const refreshed = await postForm(`${gh.issuer}/token`, { grant_type: 'refresh_token', refresh_token: after.refreshToken!, client_id: 'gatehouse-console' });
    assert.equal(refreshed.status, 400, 'signing out ended the grant: its refresh token is dead');
    assert.equal(refreshed.body.error, 'invalid_grant');
    assert.deepEqual(problems, []);
  });

  /** A platform admin's console token, from a second browser profile. */
  async function adminToken(_: Page): Promise<string> {
    const { page } = await newPage();
    await signIn(page, root);
    return consoleToken(page);
  }

  it('the users and labs screens pass axe-core at 375 px and 1280 px, dialogs included', async () => {
    const { page, problems } = await newPage();
    await signIn(page, root);
    await assertAccessibleAtBothWidths(page, 'dashboard');
    // Keyboard: the skip link comes first and leads to the content.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');

    await page.goto(`${gh.issuer}/admin/users`);
    await page.getByRole('status').filter({ hasText: /of \d+ users/ }).waitFor();
    await assertAccessibleAtBothWidths(page, 'users');
    // A dialog opened from the keyboard starts in its first field, and Esc gives focus back to its button.
    await page.getByRole('button', { name: 'New user' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'New user' }).waitFor();
    assert.equal(await page.evaluate(() => (document.activeElement as HTMLInputElement).name), 'username');
    await assertAccessible(page, 'the new user dialog');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'New user');
    await page.getByRole('link', { name: 'mary' }).click();
    await page.getByRole('heading', { name: 'Resource roles' }).waitFor();
    await page.getByRole('row', { name: /manager/ }).waitFor();
    await page.getByRole('table', { name: 'Application grants' }).or(page.getByText('No application grants.')).waitFor();
    await assertAccessibleAtBothWidths(page, 'a user');
    await page.getByRole('button', { name: 'Edit profile' }).click();
    await page.getByRole('dialog').waitFor();
    await assertAccessible(page, 'the edit dialog');
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Reset second factors' }).click();
    await page.getByRole('dialog').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Cancel', 'a confirmation starts on Cancel');
    await assertAccessible(page, 'a confirmation');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.goto(`${gh.issuer}/admin/labs`);
    await page.getByRole('status').filter({ hasText: /of \d+ labs/ }).waitFor();
    await assertAccessibleAtBothWidths(page, 'labs');
    await page.getByRole('link', { name: 'Test Lab' }).click();
    await page.getByRole('status').filter({ hasText: /of \d+ members/ }).waitFor();
    await assertAccessibleAtBothWidths(page, 'a lab');
    await page.goto(`${gh.issuer}/admin/users?q=nobody-matches-this`);
    await page.getByText('Nothing matches').waitFor();
    await assertAccessible(page, 'an empty search');
    assert.deepEqual(problems, []);
  });
});
