import assert from 'node:assert/strict';

import { createAuditLog } from '../../src/domain/audit/audit-log.js';
import { createAuthenticateUser } from '../../src/domain/users/authenticate-user.js';
import { createLogin } from '../../src/domain/users/login.js';
import { createLoginThrottle } from '../../src/domain/users/login-throttle.js';
import { createMemoryStore } from '../../src/storage/memory/memory-store.js';
import { createFakePasswordHasher } from '../fakes/fake-password-hasher.js';
import { createFakeStorage } from '../fakes/fake-storage.js';
import { createSeeder } from '../fakes/seed.js';

function setup() {
  const storage = createFakeStorage();
  createSeeder(storage).user({ username: 'mary', email: 'mary@example.org', passwordHash: 'plain:marys-password' });
  const memory = createMemoryStore({ clock: storage.clock });
  const deletes: string[][] = [];
  const store: typeof memory = Object.assign(Object.create(memory) as typeof memory, { delete: (keys: string[]) => { deletes.push(keys); return memory.delete(keys); } });
  const login = createLogin({
    authenticate: createAuthenticateUser({ users: storage.repos.users, hasher: createFakePasswordHasher() }),
    throttle: createLoginThrottle({ store, maxFailures: 2, lockoutSeconds: 60 }),
    audit: createAuditLog({ transaction: storage.transaction, onError: () => assert.fail('audit failed') }),
  });
  const audit = () => storage.state.audit.map((r) => [r.action, r.details.reason ?? null]);
  return { login, audit, clock: storage.clock, deletes };
}

describe('unit: login', () => {
  it('signs in with the right password and audits the success', async () => {
    const { login, audit } = setup();
    const outcome = await login({ login: 'mary', password: 'marys-password', clientId: 'portal' });
    assert.ok(outcome.ok);
    assert.deepEqual(audit(), [['login.succeeded', null]]);
  });

  it('counts failures per account whichever name is typed, audits the lockout once, and refuses the right password while locked', async () => {
    const { login, audit } = setup();
    await login({ login: 'mary', password: 'wrong' });
    await login({ login: 'MARY@example.org', password: 'wrong' });
    assert.deepEqual(await login({ login: 'mary', password: 'marys-password' }), { ok: false, reason: 'locked_out' });
    assert.deepEqual(audit(), [['login.failed', 'wrong_password'], ['login.failed', 'wrong_password'], ['login.lockout', null], ['login.failed', 'locked_out']]);
  });

  it('clears the failures a right password ends, and writes nothing to the store when none were counted', async () => {
    const { login, deletes } = setup();
    assert.ok((await login({ login: 'mary', password: 'marys-password' })).ok);
    assert.deepEqual(deletes, [], 'no failure counted: nothing to reset');
    await login({ login: 'mary', password: 'wrong' });
    assert.ok((await login({ login: 'mary', password: 'marys-password' })).ok);
    assert.equal(deletes.length, 1, 'the failure counted is cleared');
    await login({ login: 'mary', password: 'wrong' });
    assert.ok((await login({ login: 'mary', password: 'marys-password' })).ok, 'one failure since the reset: not locked');
  });

  it('lifts the lock when the window ends, by the injected clock', async () => {
    const { login, clock } = setup();
    await login({ login: 'mary', password: 'wrong' });
    await login({ login: 'mary', password: 'wrong' });
    clock.advance(60_000);
    assert.ok((await login({ login: 'mary', password: 'marys-password' })).ok);
  });

  it('locks a name no account has just like a real one, and refuses an empty login without counting it', async () => {
    const { login } = setup();
    await login({ login: 'ghost', password: 'x' });
    await login({ login: 'Ghost', password: 'x' });
    assert.deepEqual(await login({ login: 'ghost', password: 'x' }), { ok: false, reason: 'locked_out' });
    assert.deepEqual(await login({ login: '', password: 'x' }), { ok: false, reason: 'unknown_user' });
  });
});
