import assert from 'node:assert/strict';

import { createAuditTrail } from '../../src/domain/audit/audit-trail.js';
import { createFakeAuditRepository } from '../fakes/fake-audit-repository.js';
import { emptyState } from '../fakes/fake-state.js';

function setup() {
  const state = emptyState();
  const repository = createFakeAuditRepository(state);
  return { state, repository, trail: createAuditTrail({ repository }) };
}

const entry = (action: string, target: string) => ({ at: new Date('2026-11-29T12:00:00Z'), actor: 'cli:ops', action, target, details: {} });

describe('unit: audit trail (query, export, chain check)', () => {
  it('pages newest first with the total, and exports matching entries oldest first', async () => {
    const { repository, trail } = setup();
    await repository.append(entry('user.created', 'user:1'));
    await repository.append(entry('lab.created', 'lab:a'));
    await repository.append(entry('user.blocked', 'user:1'));
    const page = await trail.query({ action: 'user.*' }, { limit: 1, offset: 0 });
    assert.deepEqual([page.total, page.items.map((e) => e.action)], [2, ['user.blocked']]);
    const exported: string[] = [];
    for await (const e of trail.export({ targetPrefix: 'user:1' })) exported.push(e.action);
    assert.deepEqual(exported, ['user.created', 'user.blocked']);
  });

  it('reports an intact chain, and the first row whose content was edited', async () => {
    const { state, repository, trail } = setup();
    await repository.append(entry('user.created', 'user:1'));
    await repository.append(entry('user.blocked', 'user:1'));
    assert.deepEqual(await trail.verify(), { ok: true, rows: 2 });
    state.audit[0]!.action = 'user.deleted';
    const check = await trail.verify();
    assert.equal(check.ok, false);
    assert.equal(!check.ok && check.brokenAt, state.audit[0]!.id);
  });
});
