// A mocha reporter for finding where `npm test`'s time goes: dots as it runs, then every test
// file's wall time (its root suites, hooks included), slowest first, and the failures.
// Serial runs only (--parallel replays a file's events after it ends, so its times read ~0):
//   npx mocha --reporter ./scripts/mocha-file-times.cjs 'dist/test/**/*.test.js'
const Mocha = require('mocha');

const { EVENT_RUN_END, EVENT_SUITE_BEGIN, EVENT_SUITE_END, EVENT_TEST_FAIL, EVENT_TEST_PASS, EVENT_TEST_PENDING } = Mocha.Runner.constants;

class FileTimes extends Mocha.reporters.Base {
  constructor(runner, options) {
    super(runner, options);
    const started = new Map();
    const perFile = new Map();
    const failures = [];
    const counts = { passing: 0, failing: 0, pending: 0 };
    const t0 = Date.now();
    runner.on(EVENT_SUITE_BEGIN, (suite) => { if (suite.file && suite.parent?.root) started.set(suite, Date.now()); });
    runner.on(EVENT_SUITE_END, (suite) => {
      if (!started.has(suite)) return;
      perFile.set(suite.file, (perFile.get(suite.file) ?? 0) + Date.now() - started.get(suite));
    });
    runner.on(EVENT_TEST_PASS, () => { counts.passing += 1; process.stdout.write('.'); });
    runner.on(EVENT_TEST_PENDING, () => { counts.pending += 1; });
    runner.on(EVENT_TEST_FAIL, (test, error) => { counts.failing += 1; failures.push(`${test.fullTitle()} (${test.file}): ${error?.message}`); process.stdout.write('!'); });
    runner.once(EVENT_RUN_END, () => {
      const root = `${process.cwd()}/`;
      const rows = [...perFile].sort((a, b) => b[1] - a[1]).map(([file, ms]) => `${(ms / 1000).toFixed(1).padStart(7)} s  ${file.replace(root, '')}`);
      process.stdout.write(`\n\n${rows.join('\n')}\n\n${failures.map((f) => `failed: ${f}`).join('\n')}${failures.length ? '\n' : ''}`);
      process.stdout.write(`${((Date.now() - t0) / 1000).toFixed(1)} s in all\n${counts.passing} passed, ${counts.failing} failed, ${counts.pending} skipped\n`);
    });
  }
}

module.exports = FileTimes;
