import assert from 'node:assert/strict';

import { createAccountSelfService, WrongPasswordError } from '../../src/domain/account/account-self-service.js';
import { createAuditLog } from '../../src/domain/audit/audit-log.js';
import { createSessionListing } from '../../src/domain/management/session-listing.js';
import { createLoginThrottle } from '../../src/domain/users/login-throttle.js';
import { createPasswordPolicy } from '../../src/domain/users/password-policy.js';
import { createMemoryStore } from '../../src/storage/memory/memory-store.js';
import { createFakePasswordHasher } from '../fakes/fake-password-hasher.js';
import { createFakeSessionDirectory } from '../fakes/fake-session-directory.js';
import { createManagementFixture } from '../fakes/management-fixture.js';

const origin = { actor: 'anonymous', ip: '192.0.2.1' };

function setup() {
  const fixture = createManagementFixture();
  const { clock, repos, seed } = fixture;
  const browserSessions = createFakeSessionDirectory(clock);
  const revoked: string[] = [];
  const sessions = createSessionListing({
    users: repos.users, labs: repos.labs, grantOrigins: repos.grantOrigins, sessions: browserSessions,
    grants: { revokeGrant: async (id) => void revoked.push(id) }, access: { endAllAccessOf: async () => {}, endSessionsOf: async () => {} }, change: fixture.change,
  });
  const account = createAccountSelfService({
    users: repos.users, change: fixture.change, audit: createAuditLog({ transaction: fixture.storage.transaction, clock, onError: () => {} }),
    hasher: createFakePasswordHasher(), passwordPolicy: createPasswordPolicy({ minLength: 12 }),
    throttle: createLoginThrottle({ store: createMemoryStore({ clock }), maxFailures: 3, lockoutSeconds: 900 }),
    sessions, browserSessions, clientName: async (id) => `Client ${id}`,
  });
  seed.user({ username: 'ann', email: 'ann@example.org', passwordHash: 'plain:the current passphrase' });
  const later = new Date(clock.now().getTime() + 3_600_000);
  browserSessions.add('u-ann', { id: 'here', loginAt: clock.now(), expiresAt: later, clients: ['gatehouse-account'], grantOf: { 'gatehouse-account': 'g-account' } });
  browserSessions.add('u-ann', { id: 'phone', loginAt: clock.now(), expiresAt: later, clients: ['portal'], grantOf: { portal: 'g-portal' } });
  seed.grant('g-account', 'u-ann', 'gatehouse-account');
  seed.grant('g-portal', 'u-ann', 'portal');
  return { ...fixture, account, browserSessions, revoked };
}

describe('unit: the account page\'s use cases', () => {
  it('needs the current password: wrong ones are audited and count toward the lockout, after which even the right one is refused', async () => {
    const { account, state, actions } = setup();
    const change = (current: string) => account.changePassword(origin, 'u-ann', { current, next: 'a fresh passphrase 2026', endOthers: false, keepSessionUid: 'here' });
    for (let i = 0; i < 3; i += 1) await assert.rejects(change('wrong passphrase'), WrongPasswordError);
    await assert.rejects(change('the current passphrase'), WrongPasswordError);
    assert.equal(state.users[0]!.passwordHash, 'plain:the current passphrase');
    assert.deepEqual(actions(), Array(4).fill('user.password_change_failed'));
    assert.equal(state.audit.at(-1)!.details.reason, 'locked_out');
  });

  it('applies the policy, changes the password as the person (audited) and optionally ends every other session and grant', async () => {
    const { account, state, browserSessions, revoked } = setup();
    await assert.rejects(account.changePassword(origin, 'u-ann', { current: 'the current passphrase', next: 'ann@example.org', endOthers: true, keepSessionUid: 'here' }), /must not be the username or email|at least 12/);
    await account.changePassword(origin, 'u-ann', { current: 'the current passphrase', next: 'a fresh passphrase 2026', endOthers: true, keepSessionUid: 'here' });
    assert.equal(state.users[0]!.passwordHash, 'plain:a fresh passphrase 2026');
    const changed = state.audit.find((a) => a.action === 'user.password_changed')!;
    assert.equal(changed.actor, 'user:u-ann');
    assert.deepEqual((await browserSessions.sessionsOf('u-ann')).map((s) => s.id), ['here']);
    assert.deepEqual(revoked, ['g-portal']);
  });

  it('lists sessions with this browser marked and applications without the account page\'s own grant', async () => {
    const { account } = setup();
    const overview = await account.overview('u-ann', 'here');
    assert.deepEqual(overview.sessions.map((s) => [s.id, s.current]).sort(), [['here', true], ['phone', false]]);
    assert.deepEqual(overview.applications.map((a) => [a.id, a.clientName]), [['g-portal', 'Client portal']]);
    assert.equal(await account.sessionIsLive('u-ann', 'here'), true);
    assert.equal(await account.sessionIsLive('u-ann', 'gone'), false);
  });
});
