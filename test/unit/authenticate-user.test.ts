import assert from 'node:assert/strict';

import { createAuthenticateUser } from '../../src/domain/users/authenticate-user.js';
import { createFakePasswordHasher } from '../fakes/fake-password-hasher.js';
import { createFakeStorage } from '../fakes/fake-storage.js';
import { createSeeder } from '../fakes/seed.js';

function setup() {
  const storage = createFakeStorage();
  const hasher = createFakePasswordHasher();
  const seed = createSeeder(storage);
  seed.user({ username: 'mary', email: 'Mary@Example.org', passwordHash: 'plain:marys-password' });
  seed.user({ username: 'bill', passwordHash: 'plain:bills-password', status: 'blocked' });
  seed.user({ username: 'nopass' });
  seed.user({ username: 'old', passwordHash: 'weak-argon2:olds-password' });
  return { authenticate: createAuthenticateUser({ users: storage.repos.users, hasher }), hasher, state: storage.state };
}

describe('unit: authenticate user', () => {
  it('accepts the username or the email in any case with the right password, returning the user without a hash', async () => {
    const { authenticate } = setup();
    for (const login of ['mary', 'MARY', 'mary@example.org']) {
      const result = await authenticate(login, 'marys-password');
      assert.ok(result.ok, login);
      assert.equal(result.user.id, 'u-mary');
      assert.ok(!('passwordHash' in result.user));
    }
  });

  it('tells wrong password, unknown user and blocked apart for the log, naming the account when there is one', async () => {
    const { authenticate } = setup();
    assert.deepEqual(await authenticate('mary', 'wrong'), { ok: false, reason: 'wrong_password', userId: 'u-mary' });
    assert.deepEqual(await authenticate('nobody', 'whatever'), { ok: false, reason: 'unknown_user' });
    assert.deepEqual(await authenticate('nopass', ''), { ok: false, reason: 'wrong_password', userId: 'u-nopass' });
    assert.deepEqual(await authenticate('bill', 'bills-password'), { ok: false, reason: 'blocked', userId: 'u-bill' });
  });

  it('reports a blocked account as blocked only to someone who knows its password', async () => {
    const { authenticate } = setup();
    assert.equal((await authenticate('bill', 'guess') as { reason: string }).reason, 'wrong_password');
  });

  it('runs exactly one password verification on every path, so failures cost the same', async () => {
    const { authenticate, hasher } = setup();
    for (const [login, password] of [['nobody', 'x'], ['mary', 'wrong'], ['bill', 'bills-password'], ['mary', 'marys-password']] as const) {
      const before = hasher.verifications;
      await authenticate(login, password);
      assert.equal(hasher.verifications - before, 1, `${login}/${password}`);
    }
  });

  it('rehashes an outdated hash on a successful login, and never on a failed one', async () => {
    const { authenticate, state } = setup();
    const old = () => state.users.find((u) => u.id === 'u-old')!.passwordHash;
    await authenticate('old', 'wrong');
    assert.equal(old(), 'weak-argon2:olds-password');
    assert.ok((await authenticate('old', 'olds-password')).ok);
    assert.equal(old(), 'plain:olds-password');
    assert.equal(state.users.find((u) => u.id === 'u-mary')!.passwordHash, 'plain:marys-password', 'a current hash is left alone');
  });
});
