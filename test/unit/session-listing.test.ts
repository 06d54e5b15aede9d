import assert from 'node:assert/strict';

import { ForbiddenError, NotFoundError } from '../../src/domain/errors.js';
import { createSessionListing } from '../../src/domain/management/session-listing.js';
import { createMemoryStore } from '../../src/storage/memory/memory-store.js';
import { createManagementFixture, origin, refused } from '../fakes/management-fixture.js';

const sessionsKey = (accountId: string) => `account-sessions:${accountId}`;
// session-listing reads the real time for session expiry, so stored sessions are dated around it.
const nowSeconds = () => Math.floor(Date.now() / 1000);

async function setup() {
  const fixture = createManagementFixture();
  const store = createMemoryStore({ clock: fixture.clock });
  const revoked: string[] = [];
  const ended: string[] = [];
  const listing = createSessionListing({
    users: fixture.repos.users,
    labs: fixture.repos.labs,
    grantOrigins: fixture.repos.grantOrigins,
    store,
    sessionsKey,
    grants: { revokeGrant: async (grantId) => void revoked.push(grantId) },
    access: { endAllAccessOf: async (userId) => void ended.push(userId) },
    change: fixture.change,
  });
  const { seed, clock } = fixture;
  seed.lab('lab-a');
  seed.lab('lab-b');
  seed.user({ username: 'root', isAdmin: true });
  seed.user({ username: 'bob' });
  seed.member('lab-a', 'u-bob');
  seed.user({ username: 'carol' });
  seed.grant('g-a', 'u-bob', 'portal', { labId: 'lab-a', createdAt: new Date(clock.now().getTime() - 2000) });
  seed.grant('g-b', 'u-bob', 'lab-b-app', { labId: 'lab-b', createdAt: new Date(clock.now().getTime() - 1000) });
  seed.grant('g-none', 'u-bob', 'mail', { createdAt: clock.now() });
  const session = async (key: string, payload: Record<string, unknown>) => {
    await store.setJson(key, payload);
    await store.addToSet(sessionsKey(payload.accountId as string), key, 3600);
  };
  const t = nowSeconds();
  await session('s:1', { uid: 'older', accountId: 'u-bob', loginTs: t - 600, exp: t + 3600, authorizations: { portal: { grantId: 'g-a' }, 'lab-b-app': { grantId: 'g-b' } } });
  await session('s:2', { uid: 'newer', accountId: 'u-bob', loginTs: t - 60, exp: t + 3600, authorizations: {} });
  await session('s:3', { uid: 'expired', accountId: 'u-bob', loginTs: t - 7200, exp: t - 1 });
  await store.addToSet(sessionsKey('u-bob'), 's:gone', 3600);
  await session('s:root', { uid: 'root-session', accountId: 'u-root', loginTs: t, exp: t + 3600 });
  return { ...fixture, listing, store, revoked, ended };
}

describe('unit: session listing', () => {
  it('lists live sessions newest first with the clients they opened, skipping expired and vanished ones, and grants newest first', async () => {
    const { listing } = await setup();
    const { sessions, grants } = await listing.list('u-bob');
    assert.deepEqual(sessions.map((s) => [s.id, s.clients]), [['newer', []], ['older', ['lab-b-app', 'portal']]]);
    assert.deepEqual(grants.map((g) => g.id), ['g-none', 'g-b', 'g-a']);
  });

  it('shows a lab admin only grants acting in their lab or none, and hides the clients of others\' grants in sessions', async () => {
    const { listing } = await setup();
    const { sessions, grants } = await listing.list('u-bob', 'lab-a');
    assert.deepEqual(grants.map((g) => g.id), ['g-none', 'g-a']);
    assert.deepEqual(sessions.find((s) => s.id === 'older')!.clients, ['portal']);
    await refused(listing.list('u-carol', 'lab-a'), NotFoundError);
    await refused(listing.list('u-nobody'), NotFoundError);
  });

  it('ends one session by its uid and records it; an unknown session is not found', async () => {
    const { listing, store, actions } = await setup();
    await listing.endSession(origin, 'u-bob', 'older', undefined, true);
    assert.equal(await store.getJson('s:1'), undefined);
    await refused(listing.endSession(origin, 'u-bob', 'older', undefined, true), NotFoundError);
    assert.deepEqual(actions(), ['session.revoked']);
  });

  it('revokes a grant a lab admin may see, and answers another lab\'s grant as not found', async () => {
    const { listing, revoked, state } = await setup();
    await refused(listing.revokeGrant(origin, 'u-bob', 'g-b', 'lab-a', false), NotFoundError);
    await listing.revokeGrant(origin, 'u-bob', 'g-a', 'lab-a', false);
    assert.deepEqual(revoked, ['g-a']);
    assert.equal(state.audit.at(-1)!.target, 'user:u-bob/grant:g-a');
  });

  it('keeps ending a platform admin\'s sessions to platform admins', async () => {
    const { listing, ended, store } = await setup();
    await refused(listing.endAll(origin, 'u-root', undefined, false), ForbiddenError);
    await refused(listing.endSession(origin, 'u-root', 'root-session', undefined, false), ForbiddenError);
    assert.ok(await store.getJson('s:root'));
    assert.deepEqual(ended, []);
  });

  it('ends everything at once for a platform admin, recording what ended', async () => {
    const { listing, ended, state } = await setup();
    await listing.endAll(origin, 'u-bob', undefined, true);
    assert.deepEqual(ended, ['u-bob']);
    assert.deepEqual(state.audit.at(-1)!.details.before, { sessions: ['newer', 'older'], grants: ['g-none', 'g-b', 'g-a'] });
  });

  it('ends a member\'s sessions and visible grants for a lab admin, leaving other labs\' grants alone', async () => {
    const { listing, revoked, ended, store, state } = await setup();
    await listing.endAll(origin, 'u-bob', 'lab-a', false);
    assert.deepEqual(revoked, ['g-none', 'g-a']);
    assert.deepEqual(ended, []);
    assert.deepEqual(await store.setMembers(sessionsKey('u-bob')), []);
    assert.equal(await store.getJson('s:2'), undefined);
    assert.equal(state.audit.at(-1)!.details.labId, 'lab-a');
  });
});
