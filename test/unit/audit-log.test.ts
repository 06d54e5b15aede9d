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
    storage.failNext('audit.append');
    const event = { actor: 'client:portal', action: 'token.issued', details: { grant: 'g1' } };
    assert.doesNotThrow(() => log.recordLater(event));
    await done;
    assert.equal(failures.length, 1);
    assert.match(String(failures[0]![0]), /injected failure/);
    assert.deepEqual(failures[0]![1], event);
    assert.equal(storage.state.audit.length, 0);
  });
});
