import { strict as assert } from 'node:assert';

import { runFaultRun, verdicts } from '../bench/fault-run.js';
import { mode, serverUrls } from './helpers/harness.js';

/**
 * bench/fault-run.ts, short: two Gatehouse processes on PostgreSQL and this test's own
 * redis-server under load while Redis restarts, PostgreSQL "restarts" (through a proxy: the
 * shared server is not touched) and one node is killed with SIGKILL and started again.
 */
(mode === 'servers' ? describe : describe.skip)('faults under load (bench/fault-run.ts, a 24-second run)', function () {
  this.timeout(180_000);

  it('no 5xx but 503 + Retry-After, every refresh chain survives, no revoked token comes back, recovery within 10 s', async () => {
    const report = await runFaultRun({ durationSeconds: 24, outageSeconds: 2, chains: 6, concurrency: 2, adminDatabaseUrl: serverUrls.database!, progress: () => {} });
    const failed = verdicts(report).filter((v) => !v.ok && !v.what.startsWith('RSS'));
    assert.deepEqual(failed, [], JSON.stringify(report, null, 1));
    assert.ok((report.answered['200'] ?? 0) > 100, JSON.stringify(report.answered));
    assert.ok((report.answered['503'] ?? 0) > 0, 'the outages were felt');
  });
});
