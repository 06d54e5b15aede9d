import { strict as assert } from 'node:assert';

import type { StoredEvent } from '../../src/domain/events/domain-event.js';
import type { EventType } from '../../src/domain/events/event-types.js';
import { securityEventsOf, SSF_EVENT } from '../../src/domain/ssf/security-events.js';

const event = (type: EventType, data: Record<string, unknown>, actor = 'client:ops'): StoredEvent => ({
  seq: 1, id: '019ad1c3-0000-7000-8000-000000000001', type, time: new Date('2026-11-29T12:00:00Z'), actor, subject: `user:${String(data.user_id)}`, labIds: [], data,
});

describe('unit: the CAEP and RISC events of domain events', () => {
  it('maps each user event to its security event, with the event time and the change as txn', () => {
    const cases: Array<[EventType, Record<string, unknown>, string, Record<string, unknown>]> = [
      ['session.ended', { user_id: 'u1' }, SSF_EVENT.sessionRevoked, { initiating_entity: 'admin' }],
      ['user.password_changed', { user_id: 'u1' }, SSF_EVENT.credentialChange, { credential_type: 'password', change_type: 'update' }],
      ['role.withdrawn', { user_id: 'u1', resource: 'https://cms.example', role: 'manager' }, SSF_EVENT.tokenClaimsChange, { claims: { roles: { resource: 'https://cms.example', role: 'manager', change: 'withdrawn' } } }],
      ['membership.removed', { user_id: 'u1', lab_id: 'lab-1', membership: { role: 'admin' } }, SSF_EVENT.tokenClaimsChange, { claims: { lab_id: 'lab-1', lab_role: null } }],
      ['user.blocked', { user_id: 'u1' }, SSF_EVENT.accountDisabled, {}],
      ['user.restored', { user_id: 'u1' }, SSF_EVENT.accountEnabled, {}],
      ['user.deleted', { user_id: 'u1' }, SSF_EVENT.accountPurged, {}],
    ];
    for (const [type, data, uri, body] of cases) {
      assert.deepEqual(securityEventsOf(event(type, data)), [{ uri, body: { event_timestamp: 1795953600, ...body }, userId: 'u1', txn: '019ad1c3-0000-7000-8000-000000000001' }], type);
    }
  });

  it('shares nothing about clients, labs or resources, and nothing without a user', () => {
    assert.deepEqual(securityEventsOf(event('role.granted', { client_id: 'svc', resource: 'r', role: 'x' })), []);
    assert.deepEqual(securityEventsOf(event('lab.created', { lab_id: 'lab-1' })), []);
    assert.deepEqual(securityEventsOf(event('user.created', { user_id: 'u1' })), []);
  });

  it('a person ending their own session is the user initiating it', () => {
    assert.equal(securityEventsOf(event('session.ended', { user_id: 'u1' }, 'user:u1'))[0]!.body.initiating_entity, 'user');
  });
});
