import assert from 'node:assert/strict';

import { ConflictError, DuplicateError, ForbiddenError, NotFoundError, ValidationError } from '../../src/domain/errors.js';
import { createUserManagement, type Authority } from '../../src/domain/management/user-management.js';
import { createPasswordPolicy } from '../../src/domain/users/password-policy.js';
import { createFakePasswordHasher } from '../fakes/fake-password-hasher.js';
import { createManagementFixture, origin, refused } from '../fakes/management-fixture.js';

const platform: Authority = { mayGrantAdmin: true, selfId: 'u-root' };
const service: Authority = { mayGrantAdmin: false };
const labAdminOfA: Authority = { confinedTo: 'lab-a', mayGrantAdmin: false, selfId: 'u-alice' };
const strong = 'correct horse battery staple';

function setup() {
  const fixture = createManagementFixture();
  const ended: string[] = [];
  const users = createUserManagement({
    repos: fixture.repos,
    change: fixture.change,
    hasher: createFakePasswordHasher(),
    access: { endAllAccessOf: async (userId) => void ended.push(userId), endSessionsOf: async () => {} },
    passwordPolicy: createPasswordPolicy({ minLength: 12 }),
  });
  const { seed } = fixture;
  seed.lab('lab-a');
  seed.lab('lab-b');
  seed.user({ username: 'root', isAdmin: true, passwordHash: 'plain:root-password-long' });
  seed.user({ username: 'alice', email: 'alice@example.org' });
  seed.member('lab-a', 'u-alice', { role: 'admin' });
  seed.user({ username: 'bob', email: 'Bob@Example.org' });
  seed.member('lab-a', 'u-bob');
  seed.user({ username: 'carol' });
  seed.member('lab-b', 'u-carol');
  return { ...fixture, users, ended };
}

describe('unit: user management', () => {
  describe('create', () => {
    it('creates a user with memberships and writes one user.created row holding the new user (never a hash)', async () => {
      const { users, state, actions } = setup();
      const created = await users.create(origin, { username: 'dave', email: 'dave@example.org', emailVerified: true, password: strong, labs: [{ labId: 'lab-b', role: 'member' }] }, platform);
      assert.equal(created.username, 'dave');
      assert.equal(created.emailVerified, true);
      assert.deepEqual(created.labs, [{ labId: 'lab-b', role: 'member', status: 'active' }]);
      assert.equal(state.users.find((u) => u.username === 'dave')?.passwordHash, `plain:${strong}`);
      assert.deepEqual(actions(), ['user.created']);
      const row = state.audit[0]!;
      assert.equal(row.target, `user:${created.id}`);
      assert.equal(row.actor, origin.actor);
      assert.equal((row.details.after as { username: string }).username, 'dave');
      assert.ok(!JSON.stringify(row.details).includes('plain:'), 'no password hash in the audit log');
    });

    it('refuses a username outside the pattern (an @ would let it equal an email)', async () => {
      const { users, state } = setup();
      await refused(users.create(origin, { username: 'eve@example.org' }, platform), ValidationError, 'username');
      assert.equal(state.audit.length, 0);
    });

    it('refuses a platform admin created by a caller who may not grant admin', async () => {
      const { users } = setup();
      await refused(users.create(origin, { username: 'eve', isAdmin: true }, service), ForbiddenError);
    });

    it('confines a lab admin\'s new user to their lab: membership required, labs refused, email never verified', async () => {
      const { users, state } = setup();
      await refused(users.create(origin, { username: 'eve' }, labAdminOfA), ValidationError, 'membership');
      await refused(users.create(origin, { username: 'eve', labs: [{ labId: 'lab-b', role: 'member' }], membership: { role: 'member' } }, labAdminOfA), ValidationError, 'labs');
      const created = await users.create(origin, { username: 'eve', email: 'eve@example.org', emailVerified: true, membership: { role: 'member' } }, labAdminOfA);
      assert.deepEqual(created.labs.map((l) => l.labId), ['lab-a']);
      assert.equal(created.emailVerified, false);
      assert.equal(state.members.filter((m) => m.userId === created.id).length, 1);
    });

    it('refuses `membership` from callers who are not lab admins, and a lab listed twice', async () => {
      const { users } = setup();
      await refused(users.create(origin, { username: 'eve', membership: { role: 'member' } }, platform), ValidationError, 'membership');
      await refused(users.create(origin, { username: 'eve', labs: [{ labId: 'lab-a', role: 'member' }, { labId: 'lab-a', role: 'viewer' }] }, platform), ValidationError, 'labs.1.labId');
    });

    it('refuses an unknown lab and leaves neither the user nor an audit row behind', async () => {
      const { users, state } = setup();
      await refused(users.create(origin, { username: 'eve', labs: [{ labId: 'lab-a', role: 'member' }, { labId: 'lab-x', role: 'member' }] }, platform), ValidationError, 'labs.1.labId');
      assert.ok(!state.users.some((u) => u.username === 'eve'));
      assert.equal(state.audit.length, 0);
    });

    it('answers a username or email taken in another case with a conflict naming each field', async () => {
      const { users } = setup();
      await refused(users.create(origin, { username: 'ALICE' }, platform), ConflictError, 'username');
      const both = await refused(users.create(origin, { username: 'Bob', email: 'bob@EXAMPLE.org' }, platform), ConflictError, 'email');
      assert.match(both.message, /username and email are taken/);
    });

    it('turns a DuplicateError from storage (a concurrent insert) into a conflict on the field it names', async () => {
      const { users, storage, state } = setup();
      storage.failNext('users.insert', new DuplicateError('email'));
      const error = await refused(users.create(origin, { username: 'eve', email: 'eve@example.org' }, platform), ConflictError, 'email');
      assert.deepEqual(error.fields?.map((f) => f.field), ['email']);
      assert.equal(state.audit.length, 0);
    });

    it('rolls the user back when adding a membership fails, so no half-created account remains', async () => {
      const { users, storage, state } = setup();
      storage.failNext('labs.insertMember');
      await assert.rejects(users.create(origin, { username: 'eve', labs: [{ labId: 'lab-a', role: 'member' }] }, platform), /injected failure/);
      assert.ok(!state.users.some((u) => u.username === 'eve'));
      assert.equal(state.audit.length, 0);
    });

    it('applies the password policy before anything is written', async () => {
      const { users, state } = setup();
      await refused(users.create(origin, { username: 'eve', password: 'short' }, platform), ValidationError, 'password');
      assert.ok(!state.users.some((u) => u.username === 'eve'));
    });
  });

  describe('update', () => {
    it('lets a lab admin change only the profile names of their own members', async () => {
      const { users, state } = setup();
      const after = await users.update(origin, 'u-bob', { givenName: 'Robert' }, labAdminOfA);
      assert.equal(after.givenName, 'Robert');
      await refused(users.update(origin, 'u-bob', { email: 'new@example.org' }, labAdminOfA), ForbiddenError);
      await refused(users.update(origin, 'u-carol', { givenName: 'C' }, labAdminOfA), NotFoundError);
      assert.deepEqual(state.audit.map((r) => r.action), ['user.updated']);
    });

    it('refuses a lab admin changing a platform admin who is a member of their lab', async () => {
      const { users, seed } = setup();
      seed.member('lab-a', 'u-root');
      await refused(users.update(origin, 'u-root', { givenName: 'R' }, labAdminOfA), ForbiddenError);
    });

    it('keeps isAdmin to platform admins and stops them removing their own flag', async () => {
      const { users } = setup();
      await refused(users.update(origin, 'u-bob', { isAdmin: true }, service), ForbiddenError);
      await refused(users.update(origin, 'u-root', { isAdmin: false }, platform), ConflictError);
      assert.equal((await users.update(origin, 'u-bob', { isAdmin: true }, platform)).isAdmin, true);
    });

    it('refuses a service changing a platform admin\'s sign-in name or email (an account takeover)', async () => {
      const { users } = setup();
      await refused(users.update(origin, 'u-root', { email: 'attacker@example.org' }, service), ForbiddenError);
      await refused(users.update(origin, 'u-root', { username: 'toor' }, service), ForbiddenError);
    });

    it('marks a changed email unverified and records before and after', async () => {
      const { users, state, seed } = setup();
      seed.user({ username: 'frank', email: 'frank@example.org', emailVerified: true });
      const after = await users.update(origin, 'u-frank', { email: 'frank@example.net' }, platform);
      assert.equal(after.emailVerified, false);
      const row = state.audit.at(-1)!;
      assert.equal((row.details.before as { email: string }).email, 'frank@example.org');
      assert.equal((row.details.after as { email: string }).email, 'frank@example.net');
      const same = await users.update(origin, 'u-frank', { email: 'FRANK@example.net', emailVerified: true }, platform);
      assert.equal(same.emailVerified, true);
    });

    it('answers a username taken by someone else with a conflict, and an unknown user with not found', async () => {
      const { users } = setup();
      await refused(users.update(origin, 'u-bob', { username: 'Alice' }, platform), ConflictError, 'username');
      await refused(users.update(origin, 'u-bob', { username: 'bad name' }, platform), ValidationError, 'username');
      await refused(users.update(origin, 'u-nobody', { givenName: 'x' }, platform), NotFoundError);
    });
  });

  describe('setPassword', () => {
    it('sets the hash and audits only the fact', async () => {
      const { users, state } = setup();
      await users.setPassword(origin, 'u-bob', strong, platform);
      assert.equal(state.users.find((u) => u.id === 'u-bob')!.passwordHash, `plain:${strong}`);
      assert.deepEqual(state.audit.map((r) => [r.action, r.details]), [['user.password_set', {}]]);
    });

    it('lets a lab admin give a first password only to an account that is their lab\'s alone', async () => {
      const { users, seed } = setup();
      await users.setPassword(origin, 'u-bob', strong, labAdminOfA);
      await refused(users.setPassword(origin, 'u-bob', `${strong}!`, labAdminOfA), ForbiddenError);
      seed.member('lab-b', 'u-alice');
      seed.user({ username: 'gina' });
      seed.member('lab-a', 'u-gina');
      seed.member('lab-b', 'u-gina');
      await refused(users.setPassword(origin, 'u-gina', strong, labAdminOfA), ForbiddenError);
      await refused(users.setPassword(origin, 'u-carol', strong, labAdminOfA), NotFoundError);
    });

    it('keeps a platform admin\'s password to platform admins, and refuses a password equal to the username', async () => {
      const { users } = setup();
      await refused(users.setPassword(origin, 'u-root', strong, service), ForbiddenError);
      await refused(users.setPassword(origin, 'u-bob', 'bob@example.org', platform), ValidationError, 'password');
    });
  });

  describe('block, restore, remove', () => {
    it('blocks with the reason on record and then ends all of the user\'s access', async () => {
      const { users, state, ended } = setup();
      const after = await users.block(origin, 'u-bob', 'left the company', platform);
      assert.equal(after.status, 'blocked');
      assert.deepEqual(ended, ['u-bob']);
      const row = state.audit.at(-1)!;
      assert.equal(row.action, 'user.blocked');
      assert.equal(row.details.reason, 'left the company');
      assert.equal((row.details.before as { status: string }).status, 'active');
    });

    it('refuses blocking oneself, and blocking a platform admin without admin authority, ending no access', async () => {
      const { users, ended, state } = setup();
      await refused(users.block(origin, 'u-root', 'oops', platform), ConflictError);
      await refused(users.block(origin, 'u-root', 'takeover', service), ForbiddenError);
      await refused(users.block(origin, 'u-nobody', 'x', platform), NotFoundError);
      assert.deepEqual(ended, []);
      assert.equal(state.users.find((u) => u.id === 'u-root')!.status, 'active');
    });

    it('restores a blocked user, recording before and after', async () => {
      const { users, state } = setup();
      await users.block(origin, 'u-bob', 'r', platform);
      const after = await users.restore(origin, 'u-bob');
      assert.equal(after.status, 'active');
      assert.deepEqual(state.audit.map((r) => r.action), ['user.blocked', 'user.restored']);
      await refused(users.restore(origin, 'u-nobody'), NotFoundError);
    });

    it('deletes a user with memberships and roles, records them in the before, then ends access', async () => {
      const { users, state, seed, ended } = setup();
      seed.resource({ uri: 'https://api.example', roles: ['reader'] });
      seed.role({ principalId: 'u-bob', resourceUri: 'https://api.example', role: 'reader' });
      await users.remove(origin, 'u-bob', platform);
      assert.ok(!state.users.some((u) => u.id === 'u-bob'));
      assert.ok(!state.members.some((m) => m.userId === 'u-bob'));
      assert.ok(!state.roles.some((r) => r.principalId === 'u-bob'));
      assert.deepEqual((state.audit.at(-1)!.details.before as { roles: unknown }).roles, [{ resourceUri: 'https://api.example', role: 'reader' }]);
      assert.deepEqual(ended, ['u-bob']);
    });

    it('refuses deleting oneself or a platform admin without admin authority, and keeps the user when the audit write fails', async () => {
      const { users, state, storage, ended } = setup();
      await refused(users.remove(origin, 'u-root', platform), ConflictError);
      await refused(users.remove(origin, 'u-root', service), ForbiddenError);
      storage.failNext('audit.append');
      await assert.rejects(users.remove(origin, 'u-bob', platform), /injected failure/);
      assert.ok(state.users.some((u) => u.id === 'u-bob'));
      assert.ok(state.members.some((m) => m.userId === 'u-bob'));
      assert.deepEqual(ended, []);
    });
  });

  describe('reads', () => {
    it('lists in username order with a total, and confines a lab admin to their lab\'s members', async () => {
      const { users } = setup();
      const page = await users.list({}, { limit: 2, offset: 1 });
      assert.deepEqual(page.items.map((u) => u.username), ['bob', 'carol']);
      assert.equal(page.total, 4);
      const confined = await users.list({}, { limit: 10, offset: 0 }, 'lab-a');
      assert.deepEqual(confined.items.map((u) => u.username), ['alice', 'bob']);
    });

    it('refuses a filter naming a lab, resource or role that does not exist, and a lab admin\'s other lab reads as one', async () => {
      const { users, seed } = setup();
      seed.resource({ uri: 'https://api.example', roles: ['reader'] });
      await refused(users.list({ lab: 'lab-b' }, { limit: 10, offset: 0 }, 'lab-a'), ValidationError, 'lab');
      await refused(users.list({ lab: 'lab-x' }, { limit: 10, offset: 0 }), ValidationError, 'lab');
      await refused(users.list({ role: { resourceUri: 'https://nope.example', role: 'reader' } }, { limit: 10, offset: 0 }), ValidationError, 'resource');
      await refused(users.list({ role: { resourceUri: 'https://api.example', role: 'owner' } }, { limit: 10, offset: 0 }), ValidationError, 'role');
    });

    it('answers a batch with the users found and the ids unknown (or outside a lab admin\'s lab)', async () => {
      const { users } = setup();
      const result = await users.batch(['u-carol', 'u-bob', 'u-nobody'], 'lab-a');
      assert.deepEqual(result.users.map((u) => u.id), ['u-bob']);
      assert.deepEqual(result.unknown, ['u-carol', 'u-nobody']);
    });

    it('answers another lab\'s member to a lab admin exactly as an unknown id', async () => {
      const { users } = setup();
      assert.equal((await users.get('u-carol')).username, 'carol');
      await refused(users.get('u-carol', 'lab-a'), NotFoundError);
    });
  });

  describe('register', () => {
    it('registers a new account with an unverified email', async () => {
      const { users, state } = setup();
      const registered = await users.register(origin, { username: 'hank', email: 'hank@example.org', password: strong });
      const hank = state.users.find((u) => u.username === 'hank')!;
      assert.deepEqual(registered, { created: true, userId: hank.id });
      assert.equal(hank.emailVerified, false);
      assert.deepEqual(state.audit.map((r) => r.action), ['user.registered']);
    });

    it('answers a taken username or email as if created, creating nothing and auditing the duplicate', async () => {
      const { users, state } = setup();
      const before = state.users.length;
      assert.deepEqual(await users.register(origin, { username: 'hank', email: 'ALICE@example.org', password: strong }), { created: false });
      assert.equal(state.users.length, before);
      const row = state.audit.at(-1)!;
      assert.equal(row.action, 'user.registration_duplicate');
      assert.deepEqual(row.details.taken, ['email']);
    });

    it('treats a DuplicateError from a concurrent registration like a taken name', async () => {
      const { users, storage, state } = setup();
      storage.failNext('users.insert', new DuplicateError('username'));
      assert.deepEqual(await users.register(origin, { username: 'hank', email: 'hank@example.org', password: strong }), { created: false });
      assert.deepEqual(state.audit.map((r) => r.action), ['user.registration_duplicate']);
    });

    it('refuses a weak password or an invalid username', async () => {
      const { users } = setup();
      await refused(users.register(origin, { username: 'hank', email: 'hank@example.org', password: 'password' }), ValidationError, 'password');
      await refused(users.register(origin, { username: '-hank', email: 'hank@example.org', password: strong }), ValidationError, 'username');
    });
  });
});
