import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';

import { chromium, type Browser, type Page } from 'playwright-core';

import { packageRoot } from '../../src/config/paths.js';

/** Headless Chromium driving the admin console: launch, sign in, accessibility checks (tests, the console bench and the screenshot script). */

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

export const launchChromium = (): Promise<Browser> => chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });

/** Opens /admin and signs in on Gatehouse's own login page; resolves on the console's dashboard. */
export async function signInToConsole(page: Page, issuer: string, person: { username: string; password: string }): Promise<void> {
  await page.goto(`${issuer}/admin/`);
  await page.getByLabel('Username or email').fill(person.username);
  await page.getByLabel('Password').fill(person.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
}

/** Waits until the screen shows its data: nothing in the main area is loading. */
export async function settled(page: Page): Promise<void> {
  await page.waitForFunction(() => !document.querySelector('main .state-loading, main [aria-busy="true"]'));
}

interface AxeResult { passes: unknown[]; violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }
let axe: string | undefined;

/** axe-core over the whole page (WCAG 2.x A and AA rules and best practices), injected through the debugger, which the console's CSP does not govern. */
export async function assertAccessible(page: Page, what: string): Promise<void> {
  axe ??= readFileSync(`${packageRoot}node_modules/axe-core/axe.min.js`, 'utf8');
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axe);
  const result = await page.evaluate(() => (window as unknown as { axe: { run: (context: Document, options: object) => Promise<unknown> } })
    .axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })) as AxeResult;
  assert.ok(result.passes.length > 10, `${what}: axe-core ran its checks`);
  const found = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(found, [], `${what}: axe-core violations`);
}

/** axe-core at phone and desktop widths, and no sideways scrolling at either. */
export async function assertAccessibleAtBothWidths(page: Page, what: string): Promise<void> {
  for (const viewport of [{ width: 375, height: 667 }, { width: 1280, height: 800 }]) {
    await page.setViewportSize(viewport);
    await assertAccessible(page, `${what} at ${viewport.width}px`);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= viewport.width, `${what} does not scroll sideways at ${viewport.width}px`);
  }
}
