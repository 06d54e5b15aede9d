import assert from 'node:assert/strict';

import { mode, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';

/**
 * Every node polls its outbox relays and delivery queues several times a second; when there is
 * nothing to do, that must cost a plain query per loop, not a transaction each. An idle node ran
 * ~90 queries a second (~45 ms of CPU a second on the bench machine, charged to everything it
 * served); now ~22.
 */
describe(`an idle node's background loops (${mode})`, () => {
  let gh: TestGatehouse;
  before(async () => {
    gh = await startTestGatehouse();
  });
  after(async () => gh?.stop());

  it('look for work with one query per loop and claim nothing in a transaction when there is none', async () => {
    // The first passes of the relays take their leases (and create their cursors).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const statements: string[] = [];
    const record = (query: { sql: string }) => statements.push(query.sql);
    gh.gatehouse.storage.db.on('query', record);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    gh.gatehouse.storage.db.off('query', record);
    const claims = statements.filter((sql) => /WITH heads|for update/i.test(sql) && !/relay_cursors/.test(sql));
    assert.deepEqual(claims, [], 'no delivery or SET claimed in a transaction');
    // 5 polls a second × 4 loops, the back-channel logout queue once a second, a relay's full pass every 10 s.
    assert.ok(statements.length < 80, `${statements.length} statements in 2 s:\n${statements.slice(0, 40).join('\n')}`);
  });
});
