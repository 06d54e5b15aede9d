import assert from 'node:assert/strict';

import { ValidationError } from '../../src/domain/errors.js';
import { createPasswordPolicy } from '../../src/domain/users/password-policy.js';

const policy = createPasswordPolicy({ minLength: 10 });

describe('unit: password policy', () => {
  it('accepts a long, uncommon password with no composition rules', () => {
    assert.equal(policy.problem('lowercase only but long'), undefined);
    assert.doesNotThrow(() => policy.check('lowercase only but long'));
  });

  it('counts length in characters as a person sees them, not UTF-16 units', () => {
    assert.match(policy.problem('🔑🔑🔑🔑🔑🔑🔑🔑🔑')!, /at least 10/);
    assert.equal(policy.problem('🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑'), undefined);
  });

  it('refuses common breached passwords whatever their case', () => {
    assert.match(policy.problem('Password123')!, /too common/);
    assert.match(policy.problem('QWERTYUIOP')!, /too common/);
  });

  it('refuses the account\'s username, email or email local part', () => {
    const context = { username: 'maryjanesmith', email: 'mary.j.smith@example.org' };
    assert.match(policy.problem('MaryJaneSmith', context)!, /username or email/);
    assert.match(policy.problem('mary.j.smith@example.org', context)!, /username or email/);
    assert.match(policy.problem('mary.j.smith', context)!, /username or email/);
  });

  it('throws a ValidationError pointing at the field that carried the password', () => {
    assert.throws(() => policy.check('short', {}, 'newPassword'), (error: unknown) =>
      error instanceof ValidationError && error.fields[0]!.field === 'newPassword' && /at least 10/.test(error.fields[0]!.detail));
  });
});
