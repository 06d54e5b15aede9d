import { strict as assert } from 'node:assert';

import { eventSeenFromLab } from '../../src/domain/events/domain-event.js';
import { eventsOfAuditEntry } from '../../src/domain/events/events-of-audit-entry.js';

describe('unit: the events an audited change publishes', () => {
  it('a reader confined to one lab sees its lab alone: the member\'s other labs and lab-limited roles are left out', () => {
    const user = { id: 'u1', username: 'ann', labs: [{ labId: 'lab-1', role: 'member' }, { labId: 'lab-2', role: 'admin' }], roles: [{ resource: 'r', role: 'x', lab: 'lab-2' }, { resource: 'r', role: 'y' }], passwordHash: 'h' };
    const [draft] = eventsOfAuditEntry({ action: 'user.blocked', target: 'user:u1', details: { reason: 'r', before: user, after: user } });
    assert.deepEqual(draft!.labIds, ['lab-1', 'lab-2'], 'the labs route the event');
    assert.equal((draft!.data.user as Record<string, unknown>).passwordHash, undefined, 'no secret-looking key');
    const event = { ...draft!, id: 'e1', time: new Date(0), actor: 'client:ops' };
    const seen = eventSeenFromLab(event, 'lab-1');
    assert.deepEqual(seen.labIds, ['lab-1']);
    assert.deepEqual(seen.data.user, { id: 'u1', username: 'ann', labs: [{ labId: 'lab-1', role: 'member' }], roles: [{ resource: 'r', role: 'y' }] });
    assert.equal(eventSeenFromLab(event, undefined), event, 'platform readers see it whole');
  });

  it('revoking an access token that ended its grant publishes token.revoked and grant.revoked', () => {
    const events = eventsOfAuditEntry({ action: 'access_token.revoked', target: 'jti:j1', details: { sub: 'u1', exp: 10, grant_id: 'g1', grant_ended: true } });
    assert.deepEqual(events.map((e) => [e.type, e.data.jti ?? e.data.grant_id]), [['token.revoked', 'j1'], ['grant.revoked', 'g1']]);
    const exchanged = eventsOfAuditEntry({ action: 'access_token.revoked', target: 'jti:j2', details: { sub: 'u1', exp: 10, grant_id: 'g1', grant_ended: false } });
    assert.deepEqual(exchanged.map((e) => e.type), ['token.revoked']);
  });

  it('deleting a client publishes one grant.revoked per grant it held', () => {
    const events = eventsOfAuditEntry({ action: 'client.deleted', target: 'client:portal', details: { before: { clientId: 'portal' }, revokedGrants: 2, grantIds: ['g1', 'g2'] } });
    assert.deepEqual(events.map((e) => [e.type, e.data.grant_id ?? e.data.client_id]), [['client.deleted', 'portal'], ['grant.revoked', 'g1'], ['grant.revoked', 'g2']]);
  });
});
