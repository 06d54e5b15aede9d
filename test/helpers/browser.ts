import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';

import { chromium, type Browser, type Page } from 'playwright-core';

import { packageRoot } from '../../src/config/paths.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const AXE = readFileSync(`${packageRoot}node_modules/axe-core/axe.min.js`, 'utf8');

/** The machine's Chromium, headless, without anything that would reach the network on its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

interface AxeResult { passes: unknown[]; violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }

/** axe-core over the whole page (WCAG 2.x A and AA rules and best practices), injected through the debugger, which the pages' CSP does not govern. */
export async function assertAccessible(page: Page, what: string): Promise<void> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  const result = await page.evaluate(() => (window as unknown as { axe: { run: (context: Document, options: object) => Promise<unknown> } })
    .axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })) as AxeResult;
  assert.ok(result.passes.length > 10, `${what}: axe-core ran its checks`);
  const found = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(found, [], `${what}: axe-core violations`);
}

/** axe-core at a phone's 375 px and at a desktop width; at 375 px nothing may scroll sideways. */
export async function assertAccessibleAtBothWidths(page: Page, what: string): Promise<void> {
  for (const viewport of [{ width: 375, height: 667 }, { width: 1280, height: 800 }]) {
    await page.setViewportSize(viewport);
    await assertAccessible(page, `${what} at ${viewport.width}px`);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= viewport.width, `${what} does not scroll sideways at ${viewport.width}px`);
  }
}
