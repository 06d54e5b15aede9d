import assert from 'node:assert/strict';

import { createAuditLog } from '../../src/domain/audit/audit-log.js';
import { createEmailFlows, EmailLinkError } from '../../src/domain/email/email-flows.js';
import { createMailRateLimit, MailRateLimitError } from '../../src/domain/email/mail-rate-limit.js';
import { createAuditedChange } from '../../src/domain/management/audited-change.js';
import type { MailMessage } from '../../src/domain/ports/mailer.js';
import { createPasswordPolicy } from '../../src/domain/users/password-policy.js';
import { createMemoryStore } from '../../src/storage/memory/memory-store.js';
import { createFakePasswordHasher } from '../fakes/fake-password-hasher.js';
import { createFakeStorage } from '../fakes/fake-storage.js';
import { createSeeder } from '../fakes/seed.js';

const origin = { actor: 'anonymous', ip: '192.0.2.1' };
const NEW_PASSWORD = 'a brand new passphrase';

function setup(limits: { perAddress?: number; perIp?: number } = {}) {
  const storage = createFakeStorage();
  const { clock, repos, transaction } = storage;
  const seed = createSeeder(storage);
  const ann = seed.user({ username: 'ann', email: 'ann@example.org', passwordHash: 'plain:old passphrase here' });
  const sent: MailMessage[] = [];
  const ended: string[] = [];
  const cleared: string[] = [];
  const errors: unknown[] = [];
  const email = createEmailFlows({
    users: repos.users, tokens: repos.emailTokens, change: createAuditedChange({ transaction, clock }),
    audit: createAuditLog({ transaction, clock, onError: (error) => errors.push(error) }),
    mailer: { send: async (message) => void sent.push(message), close: async () => {} },
    rateLimit: createMailRateLimit({ store: createMemoryStore({ clock }), perAddress: limits.perAddress ?? 5, perIp: limits.perIp ?? 20, windowSeconds: 3600 }),
    clock, hasher: createFakePasswordHasher(), passwordPolicy: createPasswordPolicy({ minLength: 12 }),
    access: { endAllAccessOf: async (userId) => void ended.push(userId), endSessionsOf: async () => {} },
    clearLockout: async (userId) => void cleared.push(userId),
    links: { passwordReset: (t) => `https://id.example/password-reset/new?token=${t}`, emailVerification: (t) => `https://id.example/email/verify?token=${t}` },
    ttlSeconds: { passwordReset: 1800, emailVerification: 86400 },
    onError: (error) => errors.push(error),
  });
  const tokenIn = (message: MailMessage) => /token=([A-Za-z0-9_-]+)/.exec(message.text)![1]!;
  const actions = () => storage.state.audit.map((a) => a.action);
  return { storage, seed, ann, email, sent, ended, cleared, errors, clock, tokenIn, actions };
}

describe('unit: email flows (password reset, address verification)', () => {
  it('mails a reset link only to an existing active account, answering the same either way; the link works once and ends all access', async () => {
    const { email, sent, ended, cleared, storage, tokenIn, ann, actions } = setup();
    await email.requestPasswordReset('nobody@example.org', origin);
    await email.requestPasswordReset('ANN@example.org', origin);
    await email.drain();
    assert.deepEqual(sent.map((m) => m.to), ['ann@example.org']);
    const token = tokenIn(sent[0]!);
    assert.ok(storage.state.emailTokens.every((t) => t.tokenHash !== token), 'stored hashed');

    assert.equal(await email.resetLinkUsable(token), true);
    await email.completePasswordReset(token, NEW_PASSWORD, origin);
    assert.equal(storage.state.users.find((u) => u.id === ann.id)!.passwordHash, `plain:${NEW_PASSWORD}`);
    assert.equal(storage.state.users.find((u) => u.id === ann.id)!.emailVerified, true);
    assert.deepEqual(ended, [ann.id]);
    assert.deepEqual(cleared, [ann.id]);
    await assert.rejects(email.completePasswordReset(token, 'yet another passphrase', origin), EmailLinkError);
    assert.deepEqual(actions().filter((a) => a.startsWith('password_reset.')), ['password_reset.requested', 'password_reset.requested', 'password_reset.completed', 'password_reset.refused']);
  });

  it('refuses a link past its lifetime, a malformed one, and one whose account changed its address since', async () => {
    const { email, sent, clock, tokenIn, storage, ann } = setup();
    await email.requestPasswordReset('ann@example.org', origin);
    await email.drain();
    clock.advance(1800 * 1000);
    await assert.rejects(email.completePasswordReset(tokenIn(sent[0]!), NEW_PASSWORD, origin), EmailLinkError);
    await assert.rejects(email.completePasswordReset('short', NEW_PASSWORD, origin), EmailLinkError);

    await email.requestPasswordReset('ann@example.org', origin);
    await email.drain();
    storage.state.users.find((u) => u.id === ann.id)!.email = 'ann@elsewhere.example';
    await assert.rejects(email.completePasswordReset(tokenIn(sent[1]!), NEW_PASSWORD, origin), EmailLinkError);
    assert.equal(storage.state.users.find((u) => u.id === ann.id)!.passwordHash, 'plain:old passphrase here');
    const reasons = storage.state.audit.filter((a) => a.action === 'password_reset.refused').map((a) => a.details.reason);
    assert.deepEqual(reasons, ['unknown_used_or_expired', 'malformed', 'account_changed']);
  });

  it('checks the password policy before spending the link', async () => {
    const { email, sent, tokenIn } = setup();
    await email.requestPasswordReset('ann@example.org', origin);
    await email.drain();
    const token = tokenIn(sent[0]!);
    await assert.rejects(email.completePasswordReset(token, 'too short', origin), /at least 12 characters/);
    assert.equal(await email.resetLinkUsable(token), true);
  });

  it('limits mails per mailbox and per IP, counting unknown addresses too', async () => {
    const perAddress = setup({ perAddress: 2 });
    await perAddress.email.requestPasswordReset('nobody@example.org', origin);
    await perAddress.email.requestPasswordReset('NOBODY@example.org', { ...origin, ip: '192.0.2.2' });
    await assert.rejects(perAddress.email.requestPasswordReset('nobody@example.org', { ...origin, ip: '192.0.2.3' }), MailRateLimitError);

    const perIp = setup({ perIp: 2 });
    await perIp.email.requestPasswordReset('a@example.org', origin);
    await perIp.email.requestPasswordReset('b@example.org', origin);
    await assert.rejects(perIp.email.requestPasswordReset('c@example.org', origin), MailRateLimitError);
    await perIp.email.requestPasswordReset('c@example.org', { ...origin, ip: '192.0.2.9' });
    perIp.clock.advance(3600 * 1000);
    await perIp.email.requestPasswordReset('d@example.org', origin);
  });

  it('verifies a new address only when its link is used, and not if another account took the address meanwhile', async () => {
    const { email, sent, tokenIn, storage, ann, seed } = setup();
    await email.sendVerification(ann.id, 'ann@new.example', { actor: `user:${ann.id}` }, 'email_change');
    await email.drain();
    assert.equal(sent[0]!.to, 'ann@new.example');
    assert.equal(storage.state.users.find((u) => u.id === ann.id)!.email, 'ann@example.org');
    assert.deepEqual(await email.verifyEmail(tokenIn(sent[0]!), origin), { userId: ann.id, email: 'ann@new.example' });
    const after = storage.state.users.find((u) => u.id === ann.id)!;
    assert.equal(after.email, 'ann@new.example');
    assert.equal(after.emailVerified, true);

    await email.sendVerification(ann.id, 'taken@example.org', { actor: `user:${ann.id}` }, 'email_change');
    await email.drain();
    seed.user({ username: 'tom', email: 'taken@example.org' });
    await assert.rejects(email.verifyEmail(tokenIn(sent[1]!), origin), EmailLinkError);
    assert.equal(storage.state.users.find((u) => u.id === ann.id)!.email, 'ann@new.example');

    // An address already taken gets no mail at all.
    await email.sendVerification(ann.id, 'taken@example.org', { actor: `user:${ann.id}` }, 'email_change');
    await email.drain();
    assert.equal(sent.length, 2);
    assert.ok(storage.state.audit.some((a) => a.action === 'email_verification.refused' && a.details.reason === 'address_taken'));
  });
});
