import assert from 'node:assert/strict';

import { createUserAttributeSchema } from '../../src/config/user-attributes.js';
import { userTokenClaims } from '../../src/domain/claims/token-claims.js';
import { ForbiddenError, ValidationError } from '../../src/domain/errors.js';
import { createUserManagement, type Authority } from '../../src/domain/management/user-management.js';
import { createPasswordPolicy } from '../../src/domain/users/password-policy.js';
import { createFakePasswordHasher } from '../fakes/fake-password-hasher.js';
import { createManagementFixture, origin } from '../fakes/management-fixture.js';

const platform: Authority = { mayGrantAdmin: true, selfId: 'u-root' };
const labAdmin: Authority = { confinedTo: 'lab-a', mayGrantAdmin: false, selfId: 'u-alice' };
const declared = { company_id: { type: 'string', pattern: '^[a-z0-9-]{1,40}$' }, employee_number: { type: 'integer', minimum: 1 } };

function setup() {
  const fixture = createManagementFixture();
  const users = createUserManagement({
    repos: fixture.repos, change: fixture.change, hasher: createFakePasswordHasher(),
    access: { endAllAccessOf: async () => {}, endSessionsOf: async () => {} },
    passwordPolicy: createPasswordPolicy({ minLength: 12 }),
    attributes: createUserAttributeSchema(declared),
  });
  fixture.seed.lab('lab-a');
  fixture.seed.user({ username: 'bob', email: 'bob@example.org' });
  fixture.seed.member('lab-a', 'u-bob');
  return { ...fixture, users };
}

async function fieldsOf(promise: Promise<unknown>): Promise<string[]> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
  return (error.fields ?? []).map((f) => f.field);
}

describe('unit: custom user attributes and token claims', () => {
  it('the declarations refuse names that are not claim names or are claims Gatehouse issues, and schemas ajv cannot compile', () => {
    assert.throws(() => createUserAttributeSchema({ 'Company-Id': { type: 'string' } }), /must match/);
    assert.throws(() => createUserAttributeSchema({ sub: { type: 'string' } }), /already issues/);
    assert.throws(() => createUserAttributeSchema({ roles: { type: 'array' } }), /already issues/);
    assert.throws(() => createUserAttributeSchema({ company_id: { type: 'strng' } }), /not a usable JSON Schema/);
  });

  it('attributes are checked against their schemas, naming each failing attribute; undeclared ones are refused', async () => {
    const { users } = setup();
    assert.deepEqual(await fieldsOf(users.create(origin, { username: 'hank', attributes: { company_id: 'ACME!', employee_number: 0 } }, platform)),
      ['attributes.company_id', 'attributes.employee_number']);
    assert.deepEqual(await fieldsOf(users.update(origin, 'u-bob', { attributes: { shoe_size: 44 } }, platform)), ['attributes.shoe_size']);
    const created = await users.create(origin, { username: 'hank', attributes: { company_id: 'acme' } }, platform);
    assert.deepEqual(created.attributes, { company_id: 'acme' });
  });

  it('a change sets the attributes it names, null removes one, the others stay', async () => {
    const { users } = setup();
    await users.update(origin, 'u-bob', { attributes: { company_id: 'acme', employee_number: 7 } }, platform);
    const after = await users.update(origin, 'u-bob', { attributes: { employee_number: null } }, platform);
    assert.deepEqual(after.attributes, { company_id: 'acme' });
  });

  it('lab admins may not set attributes (services may decide access by them)', async () => {
    const { users } = setup();
    await assert.rejects(users.update(origin, 'u-bob', { attributes: { company_id: 'evil' } }, labAdmin), ForbiddenError);
    await assert.rejects(users.create(origin, { username: 'eve', membership: { role: 'member' }, attributes: { company_id: 'evil' } }, labAdmin), ForbiddenError);
  });

  it('token claims: a resource\'s choice, user_id repeating the subject, absent values left out', () => {
    const user = {
      id: 'u-1', username: 'bob', email: 'bob@example.org', emailVerified: true, status: 'active' as const, isAdmin: false,
      attributes: { company_id: 'acme' }, createdAt: new Date(), updatedAt: new Date(),
    };
    assert.deepEqual(userTokenClaims(user, ['user_id', 'email', 'email_verified', 'company_id', 'name', 'employee_number']),
      { user_id: 'u-1', email: 'bob@example.org', email_verified: true, company_id: 'acme' });
  });
});
