import assert from 'node:assert/strict';

import { createAuditLog, type AuditEvent } from '../../src/domain/audit/audit-log.js';
import { createFakeStorage } from '../fakes/fake-storage.js';

describe('unit: audit log (authentication and token events)', () => {
  it('appends an event with its time and empty details when none are given, and waits for it', async () => {
    const { transaction, state } = createFakeStorage();
    const log = createAuditLog({ transaction, onError: () => assert.fail('no error expected') });
    const before = Date.now();
    await log.record({ actor: 'user:u-mary', action: 'login.succeeded', requestId: 'r1', ip: '192.0.2.9' });
    assert.equal(state.audit.length, 1);
    const [row] = state.audit;
    assert.deepEqual([row!.action, row!.actor, row!.details, row!.requestId, row!.ip], ['login.succeeded', 'user:u-mary', {}, 'r1', '192.0.2.9']);
    assert.ok(row!.at.getTime() >= before && row!.at.getTime() <= Date.now());
  });

  it('appends in the background and hands a failure to onError with the event instead of throwing', async () => {
    const storage = createFakeStorage();
    const failures: Array<[unknown, AuditEvent]> = [];
    let reported!: () => void;
    const done = new Promise<void>((resolve) => { reported = resolve; });
    const log = createAuditLog({ transaction: storage.transaction, onError: (error, event) => { failures.push([error, event]); reported(); } });
    storage.failNext('audit.appendBatch');
    const event = { actor: 'client:portal', action: 'token.issued', details: { grant: 'g1' } };
    assert.doesNotThrow(() => log.recordLater(event));
    await done;
    assert.equal(failures.length, 1);
    assert.match(String(failures[0]![0]), /injected failure/);
    assert.deepEqual(failures[0]![1], event);
    assert.equal(storage.state.audit.length, 0);
  });

  it('writes the entries that arrive during a commit together in the next one, each caller resolving with its own commit; a failing entry fails alone', async () => {
    const storage = createFakeStorage();
    let transactions = 0;
    // Counts transactions, and refuses any entry of user:bad (a row the database would not take).
    const transaction: typeof storage.transaction = (work) => {
      transactions += 1;
      return storage.transaction((repos, inner) => work({
        ...repos,
        audit: { ...repos.audit, appendBatch: (items) => (items.some(({ entry }) => entry.actor === 'user:bad') ? Promise.reject(new Error('refused')) : repos.audit.appendBatch(items)) },
      }, inner));
    };
    const log = createAuditLog({ transaction, onError: () => assert.fail('no error expected') });
    const first = log.record({ actor: 'user:u-1', action: 'login.succeeded' });
    // These three arrive while the first commit is under way: one transaction takes them.
    const rest = ['u-2', 'u-3', 'u-4'].map((id) => log.record({ actor: `user:${id}`, action: 'login.succeeded' }));
    await Promise.all([first, ...rest]);
    assert.equal(transactions, 2);
    assert.deepEqual(storage.state.audit.map((row) => row.actor), ['user:u-1', 'user:u-2', 'user:u-3', 'user:u-4']);

    const busy = log.record({ actor: 'user:u-5', action: 'login.succeeded' });
    const batch = ['u-6', 'bad', 'u-7'].map((id) => log.record({ actor: `user:${id}`, action: 'login.succeeded' }));
    await busy;
    const settled = await Promise.allSettled(batch);
    assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'rejected', 'fulfilled']);
    // The batch rolled back as a whole, then went entry by entry: nothing twice, nothing of user:bad.
    assert.deepEqual(storage.state.audit.map((row) => row.actor).slice(4), ['user:u-5', 'user:u-6', 'user:u-7']);
  });

  it('with the repository outside a transaction, writes each batch as one append of its own (no transaction around it), retrying a failed batch entry by entry', async () => {
    const storage = createFakeStorage();
    const batches: string[][] = [];
    let transactions = 0;
    const transaction: typeof storage.transaction = (work) => {
      transactions += 1;
      return storage.transaction(work);
    };
    const repository = {
      appendBatch: (items: Parameters<typeof storage.repos.audit.appendBatch>[0]) => {
        batches.push(items.map(({ entry }) => entry.actor));
        return items.some(({ entry }) => entry.actor === 'user:bad') ? Promise.reject(new Error('refused')) : storage.repos.audit.appendBatch(items);
      },
    };
    const log = createAuditLog({ transaction, repository, onError: () => assert.fail('no error expected') });
    const first = log.record({ actor: 'user:u-1', action: 'login.succeeded' });
    const rest = ['u-2', 'bad', 'u-3'].map((id) => log.record({ actor: `user:${id}`, action: 'login.succeeded' }));
    assert.deepEqual((await Promise.allSettled([first, ...rest])).map((s) => s.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    assert.equal(transactions, 0);
    assert.deepEqual(batches, [['user:u-1'], ['user:u-2', 'user:bad', 'user:u-3'], ['user:u-2'], ['user:bad'], ['user:u-3']]);
    assert.deepEqual(storage.state.audit.map((row) => row.actor), ['user:u-1', 'user:u-2', 'user:u-3']);
  });
});
