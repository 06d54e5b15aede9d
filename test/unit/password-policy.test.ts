import assert from 'node:assert/strict';

import { ValidationError } from '../../src/domain/errors.js';
import { createPasswordPolicy } from '../../src/domain/users/password-policy.js';

const policy = createPasswordPolicy({ minLength: 10 });

describe('unit: password policy', () => {
  it('accepts a long, uncommon password with no composition rules', async () => {
    assert.equal(await policy.problem('lowercase only but long'), undefined);
    await assert.doesNotReject(() => policy.check('lowercase only but long'));
  });

  it('counts length in characters as a person sees them, not UTF-16 units', async () => {
    assert.match((await policy.problem('🔑🔑🔑🔑🔑🔑🔑🔑🔑'))!, /at least 10/);
    assert.equal(await policy.problem('🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑'), undefined);
  });

  it('refuses common breached passwords whatever their case, from the first check of a new policy on', async () => {
    // The list loads on the first check: a fresh policy must not let a common password through meanwhile.
    const fresh = createPasswordPolicy({ minLength: 10 });
    assert.match((await fresh.problem('Password123'))!, /too common/);
    assert.match((await policy.problem('QWERTYUIOP'))!, /too common/);
  });

  it('refuses the account\'s username, email or email local part', async () => {
    const context = { username: 'maryjanesmith', email: 'mary.j.smith@example.org' };
    assert.match((await policy.problem('MaryJaneSmith', context))!, /username or email/);
    assert.match((await policy.problem('mary.j.smith@example.org', context))!, /username or email/);
    assert.match((await policy.problem('mary.j.smith', context))!, /username or email/);
  });

  it('throws a ValidationError pointing at the field that carried the password', async () => {
    await assert.rejects(() => policy.check('short', {}, 'newPassword'), (error: unknown) =>
      error instanceof ValidationError && error.fields[0]!.field === 'newPassword' && /at least 10/.test(error.fields[0]!.detail));
  });
});
