import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { CONSOLE_PAGES, packageRoot, pathOf, rootAdmin, settled, signInToConsole, startSeededConsole } from '../bench/console-session.js';

/**
 * Regenerates docs/console/<page>-desktop.png (1280 px) and <page>-phone.png (375 px) of every
 * console page: a Gatehouse of its own (embedded storage) with the test fixtures plus some
 * generated users and labs, signed in as the fixtures' platform admin. Run after changing a
 * screen: `npx tsc -b && node dist/scripts/console-screenshots.js`.
 */
const out = join(packageRoot, 'docs/console');
mkdirSync(out, { recursive: true });
const seeded = await startSeededConsole({ users: 120, labs: 12 });
try {
  // A little activity, so the dashboard's charts have lines to draw.
  for (let i = 0; i < 3; i++) {
    await fetch(`${seeded.server.url}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('ops-service:s3cret-value-ops-service').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: `${seeded.server.url}/api`, scope: 'users:read' }),
    });
  }
  for (const [label, viewport] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 375, height: 740 }]] as const) {
    const context = await seeded.browser.newContext({ viewport, colorScheme: 'light', reducedMotion: 'reduce' });
    const page = await context.newPage();
    await signInToConsole(page, seeded.server.url, rootAdmin);
    for (const entry of CONSOLE_PAGES) {
      await page.goto(`${seeded.server.url}/admin/${pathOf(entry, seeded.ids)}`);
      await page.locator(entry.ready).first().waitFor();
      await settled(page);
      const file = join(out, `${entry.name}-${label}.png`);
      await page.screenshot({ path: file, fullPage: true });
      console.log(`wrote ${file}`);
    }
    await context.close();
  }
} finally {
  await seeded.stop();
}
