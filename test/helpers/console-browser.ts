import type { Browser, BrowserContext, Page } from 'playwright-core';

/** Driving the admin console in Chromium (the platform screens' test, the console bench, the screenshot script). */

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

/** A fresh browser profile (added to `contexts`, for closing after the test) whose CSP violations and page errors are collected: there must be none. */
export async function watchedPage(browser: Browser, contexts: BrowserContext[], viewport = { width: 1280, height: 800 }): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport });
  contexts.push(context);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return { page, problems };
}
