import { cpus, loadavg } from 'node:os';

import { CONSOLE_PAGES, pathOf, rootAdmin, settled, signInToConsole, startSeededConsole } from './console-session.js';
import { parseLoadFlags } from './load-flags.js';
import { createPositiveFlag } from './positive-flag.js';

/**
 * Time to interactive of every console page with real data: a Gatehouse child seeded (through its
 * import file) with 10,000 users and 500 labs, headless Chromium signed in as a platform admin.
 * For each page: a full load of its URL (as a reload or a bookmark) until its data is on screen
 * and nothing is loading, median of --rounds. The target is < 1 s on this machine; this prints
 * the figures and whether each meets it, it asserts nothing.
 */

const usage = `usage: node dist/bench/console.js [options]
  --users N          generated users besides the fixtures (default 10000)
  --labs N           generated labs (default 500)
  --rounds N         loads per page (default 3)
  --embedded         run Gatehouse on embedded PGlite + in-process store instead of Postgres + Redis
  --database-url U   existing database used to create the bench's own (default $DATABASE_URL or postgres://postgres@127.0.0.1:5432/test)
  --redis-url U      (default $REDIS_URL or redis://127.0.0.1:6379)
  --help`;

const { flags, rounds, servers } = parseLoadFlags('console', usage, {
  warmupDefault: '0', scenarios: ['pages'], maxDuration: { seconds: 240, why: 'unused: this bench loads pages, it runs no timed load' }, extra: { users: '10000', labs: '500' },
});
const positive = createPositiveFlag('console', usage);
const users = positive('users', String(flags.users), true);
const labs = positive('labs', String(flags.labs), true);
const TARGET_MS = 1000;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const started = Date.now();
const seeded = await startSeededConsole({ users, labs, servers });
console.log(`Gatehouse with ${users} users and ${labs} labs ready in ${((Date.now() - started) / 1000).toFixed(1)} s (${seeded.sandbox.describe})`);
try {
  const context = await seeded.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signInToConsole(page, seeded.server.url, rootAdmin);
  const rows: Array<{ page: string; ms: number; all: number[]; background?: number }> = [];
  for (const entry of CONSOLE_PAGES) {
    const url = `${seeded.server.url}/admin/${pathOf(entry, seeded.ids)}`;
    const times: number[] = [];
    const backgroundTimes: number[] = [];
    // One unmeasured load first: the browser's cache of the scripts is then as a returning admin's.
    for (let round = 0; round <= rounds; round++) {
      const t0 = performance.now();
      await page.goto(url);
      await page.locator(entry.ready).first().waitFor();
      // Interactive: nothing loading but the page's background part, if it has one.
      await page.waitForFunction((background) => ![...document.querySelectorAll('main .state-loading, main [aria-busy="true"]')]
        .some((element) => !background || !element.closest(background)), entry.background ?? null);
      if (round > 0) times.push(performance.now() - t0);
      await settled(page);
      if (round > 0 && entry.background) backgroundTimes.push(performance.now() - t0);
    }
    rows.push({ page: entry.name, ms: median(times), all: times, ...(entry.background ? { background: median(backgroundTimes) } : {}) });
  }
  console.log(`\nconsole time to interactive (full page load until the data is shown), median of ${rounds}; ${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}`);
  console.log('page           median    runs                      < 1 s');
  for (const row of rows) {
    console.log(`${row.page.padEnd(14)} ${`${row.ms.toFixed(0)} ms`.padStart(8)}    ${row.all.map((t) => t.toFixed(0)).join(' / ').padEnd(24)}  ${row.ms < TARGET_MS ? 'yes' : 'NO'}`);
  }
  console.log(`slowest: ${Math.max(...rows.map((r) => r.ms)).toFixed(0)} ms (target ${TARGET_MS} ms)`);
  for (const row of rows) if (row.background !== undefined) console.log(`${row.page}: its background part (the hash-chain check) done after ${row.background.toFixed(0)} ms`);
  await context.close();
} finally {
  await seeded.stop();
}
