import { strict as assert } from 'node:assert';

import { ACR_MULTI_FACTOR, ACR_SINGLE_FACTOR, acrOf, withSecondFactor } from '../../src/domain/factors/authentication-methods.js';
import { createMfaPolicy, type MfaPolicySettings } from '../../src/domain/factors/mfa-policy.js';
import { generateRecoveryCodes, hashRecoveryCode, normalizeRecoveryCode } from '../../src/domain/factors/recovery-codes.js';
import { createSecretBox } from '../../src/domain/factors/secret-box.js';
import { newTotpSecret, totpCodeAt, totpStep } from '../../src/domain/factors/totp.js';

const labsOf: Record<string, Array<{ id: string; name: string; role: string }>> = {
  ann: [{ id: 'lab-1', name: 'One', role: 'member' }],
  hal: [{ id: 'hipaa', name: 'HIPAA', role: 'viewer' }],
  lea: [{ id: 'lab-1', name: 'One', role: 'admin' }],
};

function policy(settings: Partial<MfaPolicySettings> = {}, enrolled: string[] = []) {
  return createMfaPolicy({
    settings: { forAdmins: true, labs: ['hipaa'], clients: ['vault'], resources: ['https://records.example'], ...settings },
    labs: { activeLabs: async (userId) => labsOf[userId] ?? [] },
    hasFactor: async (userId) => enrolled.includes(userId),
  });
}
const person = (id: string, isAdmin = false) => ({ id, isAdmin });

describe('MFA policy and factor primitives (unit)', () => {
  it('requires a second factor for the right reason, and not otherwise', async () => {
    const p = policy({}, ['eve']);
    assert.equal(await p.reason({ user: person('ann'), clientId: 'portal' }), undefined);
    assert.equal(await p.reason({ user: person('ann'), acrValues: [ACR_MULTI_FACTOR] }), 'acr_values');
    assert.equal(await p.reason({ user: person('ann'), acrValues: [ACR_SINGLE_FACTOR] }), undefined);
    assert.equal(await p.reason({ user: person('ann'), clientId: 'vault' }), 'client');
    assert.equal(await p.reason({ user: person('ann'), resources: ['https://records.example'] }), 'resource');
    assert.equal(await p.reason({ user: person('hal') }), 'lab');
    assert.equal(await p.reason({ user: person('root', true) }), 'admin');
    assert.equal(await p.reason({ user: person('lea') }), 'admin', 'a lab admin');
    assert.equal(await p.reason({ user: person('eve') }), 'enrolled', 'a person with a factor always uses it');
    const relaxed = policy({ forAdmins: false });
    assert.equal(await relaxed.reason({ user: person('root', true) }), undefined);
    assert.equal(await relaxed.reason({ user: person('lea') }), undefined);
    assert.ok(p.resourceRequiresMfa('https://records.example') && !p.resourceRequiresMfa(undefined));
    assert.ok(p.labRequiresMfa('hipaa') && !p.labRequiresMfa('lab-1'));
  });

  it('takes the caller\'s word on whether the person has a factor (the login looked already): no lookups', async () => {
    const lookups: string[] = [];
    const p = createMfaPolicy({
      settings: { forAdmins: true, labs: ['hipaa'], clients: [], resources: [] },
      labs: { activeLabs: async (userId) => { lookups.push(`labs:${userId}`); return labsOf[userId] ?? []; } },
      hasFactor: async (userId) => { lookups.push(`factors:${userId}`); return false; },
    });
    assert.equal(await p.reason({ user: person('hal'), hasFactor: true }), 'enrolled');
    assert.deepEqual(lookups, []);
    assert.equal(await p.reason({ user: person('ann'), hasFactor: false }), undefined);
    assert.deepEqual(lookups, ['labs:ann'], 'the labs are looked up, the factors not again');
  });

  it('amr and acr: a second factor adds its method and mfa once', () => {
    assert.deepEqual(withSecondFactor(['pwd'], 'otp'), ['pwd', 'otp', 'mfa']);
    assert.deepEqual(withSecondFactor(['hwk', 'mfa'], 'otp'), ['hwk', 'mfa', 'otp']);
    assert.equal(acrOf(['pwd']), ACR_SINGLE_FACTOR);
    assert.equal(acrOf(['pwd', 'hwk', 'mfa']), ACR_MULTI_FACTOR);
  });

  it('TOTP accepts a code within one step of drift and names its step; refuses others and malformed ones', () => {
    const secret = newTotpSecret();
    const now = new Date('2026-11-29T12:00:10Z');
    const step = Math.floor(now.getTime() / 30_000);
    assert.equal(totpStep(secret, totpCodeAt(secret, now), now), step);
    assert.equal(totpStep(secret, totpCodeAt(secret, new Date(now.getTime() + 30_000)), now), step + 1);
    assert.equal(totpStep(secret, totpCodeAt(secret, new Date(now.getTime() + 90_000)), now), undefined);
    assert.equal(totpStep(secret, '12345', now), undefined);
    assert.equal(totpStep(secret, 'abcdef', now), undefined);
  });

  it('recovery codes: 10 distinct codes, typed in any case or spacing, hashed; garbage is not a code', () => {
    const codes = generateRecoveryCodes();
    assert.equal(new Set(codes).size, 10);
    assert.match(codes[0]!, /^[A-Z2-9]{4}(-[A-Z2-9]{4}){3}$/);
    const typed = normalizeRecoveryCode(` ${codes[0]!.toLowerCase().replace(/-/g, ' ')} `);
    assert.equal(hashRecoveryCode(typed!), hashRecoveryCode(normalizeRecoveryCode(codes[0]!)!));
    assert.equal(normalizeRecoveryCode('0000-1111-OOOO-IIII'), undefined);
  });

  it('the secret box opens only what it sealed, for the same context', () => {
    const box = createSecretBox('s'.repeat(32));
    const sealed = box.seal('JBSWY3DPEHPK3PXP', 'totp:user-1');
    assert.equal(box.open(sealed, 'totp:user-1'), 'JBSWY3DPEHPK3PXP');
    assert.throws(() => box.open(sealed, 'totp:user-2'));
    assert.throws(() => createSecretBox('t'.repeat(32)).open(sealed, 'totp:user-1'));
  });
});
