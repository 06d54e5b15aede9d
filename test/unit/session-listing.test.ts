import assert from 'node:assert/strict';

import { ForbiddenError, NotFoundError } from '../../src/domain/errors.js';
import { createSessionListing } from '../../src/domain/management/session-listing.js';
import { createFakeSessionDirectory } from '../fakes/fake-session-directory.js';
import { createManagementFixture, origin, refused } from '../fakes/management-fixture.js';

function setup() {
  const fixture = createManagementFixture();
  const { seed, clock } = fixture;
  const sessions = createFakeSessionDirectory(clock);
  const revoked: string[] = [];
  const ended: string[] = [];
  const listing = createSessionListing({
    users: fixture.repos.users,
    labs: fixture.repos.labs,
    grantOrigins: fixture.repos.grantOrigins,
    sessions,
    grants: { revokeGrant: async (grantId) => void revoked.push(grantId) },
    access: { endAllAccessOf: async (userId) => void ended.push(userId), endSessionsOf: async () => {} },
    change: fixture.change,
  });
  seed.lab('lab-a');
  seed.lab('lab-b');
  seed.user({ username: 'root', isAdmin: true });
  seed.user({ username: 'bob' });
  seed.member('lab-a', 'u-bob');
  seed.user({ username: 'carol' });
  const at = (secondsAgo: number) => new Date(clock.now().getTime() - secondsAgo * 1000);
  seed.grant('g-a', 'u-bob', 'portal', { labId: 'lab-a', createdAt: at(2) });
  seed.grant('g-b', 'u-bob', 'lab-b-app', { labId: 'lab-b', createdAt: at(1) });
  seed.grant('g-none', 'u-bob', 'mail', { createdAt: at(0) });
  seed.grant('g-old', 'u-bob', 'mail', { createdAt: at(9), expiresAt: at(1) });
  const later = new Date(clock.now().getTime() + 3_600_000);
  sessions.add('u-bob', { id: 'older', loginAt: at(600), expiresAt: later, clients: ['lab-b-app', 'portal'], grantOf: { portal: 'g-a', 'lab-b-app': 'g-b' } });
  sessions.add('u-bob', { id: 'newer', loginAt: at(60), expiresAt: later, clients: [], grantOf: {} });
  sessions.add('u-bob', { id: 'expired', loginAt: at(7200), expiresAt: at(1), clients: [], grantOf: {} });
  sessions.add('u-root', { id: 'root-session', loginAt: at(0), expiresAt: later, clients: [], grantOf: {} });
  return { ...fixture, listing, sessions, revoked, ended };
}

describe('unit: session listing', () => {
  it('lists live sessions newest first and unexpired grants newest first', async () => {
    const { listing } = setup();
    const { sessions, grants } = await listing.list('u-bob');
    assert.deepEqual(sessions.map((s) => [s.id, s.clients]), [['newer', []], ['older', ['lab-b-app', 'portal']]]);
    assert.deepEqual(grants.map((g) => g.id), ['g-none', 'g-b', 'g-a']);
  });

  it('shows a lab admin only grants acting in their lab or none, and hides the clients of others\' grants in sessions', async () => {
    const { listing } = setup();
    const { sessions, grants } = await listing.list('u-bob', 'lab-a');
    assert.deepEqual(grants.map((g) => g.id), ['g-none', 'g-a']);
    assert.deepEqual(sessions.find((s) => s.id === 'older')!.clients, ['portal']);
    await refused(listing.list('u-carol', 'lab-a'), NotFoundError);
    await refused(listing.list('u-nobody'), NotFoundError);
  });

  it('ends one session by its uid and records it; an unknown or already ended session is not found', async () => {
    const { listing, sessions, actions } = setup();
    await listing.endSession(origin, 'u-bob', 'older', undefined, true);
    assert.deepEqual((await sessions.sessionsOf('u-bob')).map((s) => s.id), ['newer']);
    await refused(listing.endSession(origin, 'u-bob', 'older', undefined, true), NotFoundError);
    await refused(listing.endSession(origin, 'u-bob', 'expired', undefined, true), NotFoundError);
    assert.deepEqual(actions(), ['session.revoked']);
  });

  it('revokes a grant a lab admin may see, and answers another lab\'s grant as not found', async () => {
    const { listing, revoked, state } = setup();
    await refused(listing.revokeGrant(origin, 'u-bob', 'g-b', 'lab-a', false), NotFoundError);
    await listing.revokeGrant(origin, 'u-bob', 'g-a', 'lab-a', false);
    assert.deepEqual(revoked, ['g-a']);
    assert.equal(state.audit.at(-1)!.target, 'user:u-bob/grant:g-a');
  });

  it('keeps ending a platform admin\'s sessions to platform admins', async () => {
    const { listing, ended, sessions, state } = setup();
    await refused(listing.endAll(origin, 'u-root', undefined, false), ForbiddenError);
    await refused(listing.endSession(origin, 'u-root', 'root-session', undefined, false), ForbiddenError);
    assert.equal((await sessions.sessionsOf('u-root')).length, 1);
    assert.deepEqual([ended, state.audit.length], [[], 0]);
  });

  it('ends everything at once for a platform admin, recording what ended', async () => {
    const { listing, ended, state } = setup();
    await listing.endAll(origin, 'u-bob', undefined, true);
    assert.deepEqual(ended, ['u-bob']);
    assert.deepEqual(state.audit.at(-1)!.details.before, { sessions: ['newer', 'older'], grants: ['g-none', 'g-b', 'g-a'] });
  });

  it('ends a member\'s sessions and visible grants for a lab admin, leaving other labs\' grants alone', async () => {
    const { listing, revoked, ended, sessions, state } = setup();
    await listing.endAll(origin, 'u-bob', 'lab-a', false);
    assert.deepEqual(revoked, ['g-none', 'g-a']);
    assert.deepEqual(ended, []);
    assert.deepEqual(await sessions.sessionsOf('u-bob'), []);
    assert.equal(state.audit.at(-1)!.details.labId, 'lab-a');
  });
});

describe('unit: session listing, "sign out everywhere else"', () => {
  it('ends every other session and revokes every grant except those the kept session holds, recording what ended', async () => {
    const { listing, sessions, revoked, state } = setup();
    assert.deepEqual(await listing.endOthers(origin, 'u-bob', 'older'), { sessions: 1, grants: 1 });
    assert.deepEqual((await sessions.sessionsOf('u-bob')).map((s) => s.id), ['older']);
    assert.deepEqual(revoked, ['g-none'], 'g-a and g-b belong to the kept session');
    const row = state.audit.at(-1)!;
    assert.equal(row.action, 'sessions.revoked_others');
    assert.deepEqual(row.details, { kept: 'older', before: { sessions: ['newer'], grants: ['g-none'] } });
  });
});
