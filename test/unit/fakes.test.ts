import assert from 'node:assert/strict';

import { DuplicateError, MissingReferenceError } from '../../src/domain/errors.js';
import { createFakeStorage } from '../fakes/fake-storage.js';
import { createSeeder } from '../fakes/seed.js';

/** The fakes stand in for Postgres only as long as they keep the ports' documented contracts. */
describe('unit: the fakes keep the port contracts', () => {
  const duplicateOf = (field: string) => (error: unknown) => error instanceof DuplicateError && error.field === field;

  it('users: a case-insensitive duplicate username or email is a DuplicateError naming the field, on insert and update', async () => {
    const { repos } = createFakeStorage();
    await repos.users.insert({ id: 'u1', username: 'Mary', email: 'mary@example.org' });
    await repos.users.insert({ id: 'u2', username: 'john' });
    await assert.rejects(repos.users.insert({ id: 'u3', username: 'MARY' }), duplicateOf('username'));
    await assert.rejects(repos.users.insert({ id: 'u3', username: 'x', email: 'Mary@Example.org' }), duplicateOf('email'));
    await assert.rejects(repos.users.insert({ id: 'u1', username: 'y' }), duplicateOf('id'));
    await assert.rejects(repos.users.update('u2', { email: 'MARY@example.org' }), duplicateOf('email'));
    await repos.users.update('u1', { username: 'mary' });
    assert.deepEqual(await repos.users.taken({ username: 'MARY', email: 'nobody@example.org' }, 'u2'), { username: true, email: false });
  });

  it('users: undefined leaves a field alone and null clears it', async () => {
    const { repos } = createFakeStorage();
    await repos.users.insert({ id: 'u1', username: 'mary', email: 'mary@example.org', givenName: 'Mary' });
    await repos.users.update('u1', { givenName: null, email: undefined });
    const user = await repos.users.findById('u1');
    assert.deepEqual([user!.givenName, user!.email], [undefined, 'mary@example.org']);
  });

  it('labs: insertMember refuses a missing lab or user (MissingReferenceError) and a second membership (DuplicateError)', async () => {
    const storage = createFakeStorage();
    const seed = createSeeder(storage);
    seed.lab('lab-a');
    seed.user({ username: 'mary' });
    const { labs } = storage.repos;
    await assert.rejects(labs.insertMember({ labId: 'lab-x', userId: 'u-mary', role: 'm', status: 'active' }), MissingReferenceError);
    await assert.rejects(labs.insertMember({ labId: 'lab-a', userId: 'u-x', role: 'm', status: 'active' }), MissingReferenceError);
    await labs.insertMember({ labId: 'lab-a', userId: 'u-mary', role: 'm', status: 'active' });
    await assert.rejects(labs.insertMember({ labId: 'lab-a', userId: 'u-mary', role: 'm', status: 'active' }), duplicateOf('membership'));
    await assert.rejects(labs.insert({ id: 'lab-a', name: 'again' }), duplicateOf('id'));
    assert.equal((await labs.find('lab-a'))!.memberCount, 1);
  });

  it('pages in a stable order with the total of all matches, also past the end', async () => {
    const storage = createFakeStorage();
    const seed = createSeeder(storage);
    for (const name of ['delta', 'alpha', 'charlie', 'bravo']) seed.user({ username: name });
    const page = await storage.repos.users.list({}, { limit: 2, offset: 1 });
    assert.deepEqual([page.items.map((u) => u.username), page.total], [['bravo', 'charlie'], 4]);
    assert.deepEqual(await storage.repos.users.list({}, { limit: 2, offset: 10 }), { items: [], total: 4 });
  });

  it('cascades deletes as the schema does: a lab takes its memberships and lab roles, a resource its roles, a user their memberships', async () => {
    const storage = createFakeStorage();
    const seed = createSeeder(storage);
    seed.lab('lab-a');
    seed.user({ username: 'mary' });
    seed.member('lab-a', 'u-mary');
    seed.resource({ uri: 'https://api.example', roles: ['r'] });
    const { repos, state } = storage;
    await repos.tenancy.grantRole('user', 'u-mary', { resourceUri: 'https://api.example', role: 'r', labId: 'lab-a' });
    await repos.tenancy.grantRole('user', 'u-mary', { resourceUri: 'https://api.example', role: 'r' });
    await assert.rejects(repos.tenancy.grantRole('user', 'u-mary', { resourceUri: 'https://nope.example', role: 'r' }), MissingReferenceError);
    await repos.labs.delete('lab-a');
    assert.deepEqual([state.members.length, state.roles.length], [0, 1]);
    await repos.resources.delete('https://api.example');
    assert.equal(state.roles.length, 0);
  });

  it('transaction: commits what the work wrote, or on a thrown error restores everything and passes the error on', async () => {
    const storage = createFakeStorage();
    const { transaction, state } = storage;
    await transaction(async (tx) => tx.labs.insert({ id: 'kept', name: 'Kept' }));
    const failure = new Error('boom');
    await assert.rejects(transaction(async (tx) => {
      await tx.labs.insert({ id: 'lost', name: 'Lost' });
      await tx.labs.update('kept', { name: 'Changed' });
      await tx.audit.append({ at: new Date(), actor: 'a', action: 'x', details: {} });
      throw failure;
    }), (error) => error === failure);
    assert.deepEqual(state.labs.map((l) => [l.id, l.name]), [['kept', 'Kept']]);
    assert.equal(state.audit.length, 0);
  });

  it('stamps rows with the injected clock', async () => {
    const storage = createFakeStorage();
    storage.clock.advance(42_000);
    await storage.repos.labs.insert({ id: 'lab-a', name: 'A' });
    assert.deepEqual((await storage.repos.labs.find('lab-a'))!.createdAt, storage.clock.now());
  });

  it('fails loudly on a port it does not fake', async () => {
    const { repos } = createFakeStorage();
    await assert.rejects(repos.payloads.find('Grant', 'g1'), /payloads\.find is not faked/);
  });
});
