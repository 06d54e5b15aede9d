import { AppError, ValidationError } from '../errors.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { AuditedChange, ChangeOrigin } from '../management/audited-change.js';
import type { Clock } from '../ports/clock.js';
import type { EmailTokenPurpose, EmailTokenRepository } from '../ports/email-token-repository.js';
import type { Mailer } from '../ports/mailer.js';
import type { UserRepository } from '../ports/user-repository.js';
import type { AccessTerminator } from '../users/access-terminator.js';
import type { PasswordHasher } from '../users/password-hasher.js';
import type { PasswordPolicy } from '../users/password-policy.js';
import { emailVerificationMail, passwordResetMail } from './email-messages.js';
import type { MailRateLimit } from './mail-rate-limit.js';
import { hashOneTimeToken, newOneTimeToken, ONE_TIME_TOKEN_PATTERN } from './one-time-token.js';

/** A link that is malformed, unknown, expired, used, or no longer fits its account: one answer for all. */
export class EmailLinkError extends AppError {
  constructor() {
    super('invalid_link', 400, 'This link is invalid, has expired or was already used. Ask for a new one.', { expose: true });
  }
}

export interface EmailFlowsDeps {
  /** Reads; writes go through `change`. */
  users: Pick<UserRepository, 'findById' | 'findForLogin' | 'taken'>;
  tokens: Pick<EmailTokenRepository, 'findUsable'>;
  change: AuditedChange;
  audit: AuditLog;
  mailer: Mailer;
  rateLimit: MailRateLimit;
  clock: Clock;
  hasher: PasswordHasher;
  passwordPolicy: PasswordPolicy;
  /** A reset ends every session and grant of the account: whoever knew the old password is out. */
  access: AccessTerminator;
  /** Lifts a login lockout of the account once its password was reset. */
  clearLockout: (userId: string) => Promise<void>;
  /** The absolute URLs the mails link to. */
  links: { passwordReset(token: string): string; emailVerification(token: string): string };
  ttlSeconds: { passwordReset: number; emailVerification: number };
  /** Failures of work done after the answer (sending mail): logged by the caller, never shown. */
  onError: (error: unknown, what: string) => void;
}

/** Why a verification mail is sent, for the audit log. */
export type VerificationReason = 'registration' | 'email_change' | 'resend';

const same = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();

/**
 * Mail-based flows: password reset by a link, and verification of an address (on registration,
 * on change, on request). A link carries a 256-bit token stored only as its SHA-256, works once
 * and briefly. Asking for a reset answers the same, at the same speed, whether or not an account
 * has the address: the lookup, the link and the mail happen after the answer. Every step is audited.
 */
export function createEmailFlows(deps: EmailFlowsDeps) {
  const pending = new Set<Promise<void>>();

  /** Work after the answer: its time and outcome never reach the person who asked. */
  function later(what: string, work: () => Promise<void>): void {
    const run: Promise<void> = work().catch((error: unknown) => deps.onError(error, what)).finally(() => pending.delete(run));
    pending.add(run);
  }

  async function issue(purpose: EmailTokenPurpose, userId: string, email: string, origin: ChangeOrigin, action: string, details: Record<string, unknown>): Promise<string> {
    const { token, hash } = newOneTimeToken();
    const now = deps.clock.now();
    const ttl = purpose === 'password_reset' ? deps.ttlSeconds.passwordReset : deps.ttlSeconds.emailVerification;
    await deps.change(origin, async (tx, record) => {
      await tx.emailTokens.issue({ tokenHash: hash, purpose, userId, email, createdAt: now, expiresAt: new Date(now.getTime() + ttl * 1000) });
      await record(action, `user:${userId}`, { email, ...details });
    });
    return token;
  }

  /** The usable link for `token`, or undefined; a malformed token is not even looked up. */
  async function usable(token: unknown, purpose: EmailTokenPurpose) {
    if (typeof token !== 'string' || !ONE_TIME_TOKEN_PATTERN.test(token)) return undefined;
    return deps.tokens.findUsable(hashOneTimeToken(token), purpose, deps.clock.now());
  }

  async function refuse(origin: ChangeOrigin, action: string, reason: string, userId?: string): Promise<never> {
    await deps.audit.record({ actor: origin.actor, action, target: userId ? `user:${userId}` : undefined, details: { reason }, requestId: origin.requestId, ip: origin.ip });
    throw new EmailLinkError();
  }

  return {
    /**
     * "If an account has this address, we sent it a link." Counts against the mail budgets (429
     * past them, for any address), then answers; the rest runs afterwards.
     */
    async requestPasswordReset(address: string, origin: ChangeOrigin): Promise<void> {
      await deps.rateLimit.admit({ address, ip: origin.ip });
      later('password reset mail', async () => {
        const found = await deps.users.findForLogin(address);
        // By address only: a username typed here finds nothing (the form asks for an email).
        const user = found && same(found.email, address) ? found : undefined;
        if (!user || user.status !== 'active') {
          await deps.audit.record({
            actor: origin.actor, action: 'password_reset.requested', target: user ? `user:${user.id}` : undefined,
            details: { email: address, sent: false, reason: user ? 'blocked' : 'unknown_address' }, requestId: origin.requestId, ip: origin.ip,
          });
          return;
        }
        const token = await issue('password_reset', user.id, user.email!, origin, 'password_reset.requested', { sent: true });
        await deps.mailer.send(passwordResetMail(user.email!, user.username, deps.links.passwordReset(token), deps.ttlSeconds.passwordReset));
      });
    },

    /** Whether a reset link can still be used (the page shows the form only then); reads only. */
    async resetLinkUsable(token: unknown): Promise<boolean> {
      return (await usable(token, 'password_reset')) !== undefined;
    },

    /**
     * Sets a new password with a reset link. The policy is checked before the link is spent, so
     * a refused password leaves it usable; then, in one transaction, the link is used (once: a
     * second use finds it used), the password replaced and the address marked verified (the mail
     * reached its owner). Afterwards every session and grant of the account ends and a lockout lifts.
     */
    async completePasswordReset(token: unknown, password: string, origin: ChangeOrigin): Promise<{ userId: string }> {
      const link = await usable(token, 'password_reset');
      if (!link) return refuse(origin, 'password_reset.refused', typeof token === 'string' && ONE_TIME_TOKEN_PATTERN.test(token) ? 'unknown_used_or_expired' : 'malformed');
      const user = await deps.users.findById(link.userId);
      if (!user || user.status !== 'active' || !same(user.email, link.email)) return refuse(origin, 'password_reset.refused', 'account_changed', link.userId);
      await deps.passwordPolicy.check(password, { username: user.username, email: user.email }, 'password');
      const passwordHash = await deps.hasher.hash(password);
      const done = await deps.change({ ...origin, actor: `user:${user.id}` }, async (tx, record) => {
        if (!(await tx.emailTokens.consume(link.tokenHash, 'password_reset', deps.clock.now()))) return false;
        await tx.users.setPasswordHash(user.id, passwordHash);
        if (!user.emailVerified) await tx.users.update(user.id, { emailVerified: true });
        await record('password_reset.completed', `user:${user.id}`, { email: link.email, email_verified: true });
        return true;
      });
      if (!done) return refuse(origin, 'password_reset.refused', 'unknown_used_or_expired', user.id);
      await deps.access.endAllAccessOf(user.id);
      await deps.clearLockout(user.id);
      return { userId: user.id };
    },

    /**
     * Sends a link proving that `address` is the user's. On a change the address is applied only
     * when the link is opened. An address another account has gets no mail (and the answer does
     * not say so: the work happens after it).
     */
    async sendVerification(userId: string, address: string, origin: ChangeOrigin, reason: VerificationReason): Promise<void> {
      await deps.rateLimit.admit({ address, ip: origin.ip });
      later('verification mail', async () => {
        const user = await deps.users.findById(userId);
        if (!user || user.status !== 'active') return;
        if ((await deps.users.taken({ email: address }, userId)).email) {
          await deps.audit.record({ actor: origin.actor, action: 'email_verification.refused', target: `user:${userId}`, details: { email: address, reason: 'address_taken' }, requestId: origin.requestId, ip: origin.ip });
          return;
        }
        const token = await issue('email_verification', userId, address, origin, 'email_verification.sent', { reason });
        await deps.mailer.send(emailVerificationMail(address, user.username, deps.links.emailVerification(token), deps.ttlSeconds.emailVerification));
      });
    },

    /** Whether a verification link can still be used; reads only (mail scanners open links). */
    async verificationLinkUsable(token: unknown): Promise<boolean> {
      return (await usable(token, 'email_verification')) !== undefined;
    },

    /** Uses a verification link: the account's address becomes the link's, verified. */
    async verifyEmail(token: unknown, origin: ChangeOrigin): Promise<{ userId: string; email: string }> {
      const link = await usable(token, 'email_verification');
      if (!link) return refuse(origin, 'email_verification.refused', typeof token === 'string' && ONE_TIME_TOKEN_PATTERN.test(token) ? 'unknown_used_or_expired' : 'malformed');
      const outcome = await deps.change({ ...origin, actor: `user:${link.userId}` }, async (tx, record) => {
        const before = await tx.users.findById(link.userId);
        if (!before || before.status !== 'active') return 'account_changed';
        if ((await tx.users.taken({ email: link.email }, link.userId)).email) return 'address_taken';
        if (!(await tx.emailTokens.consume(link.tokenHash, 'email_verification', deps.clock.now()))) return 'unknown_used_or_expired';
        await tx.users.update(link.userId, { email: link.email, emailVerified: true });
        await record('email.verified', `user:${link.userId}`, {
          before: { email: before.email, emailVerified: before.emailVerified }, after: { email: link.email, emailVerified: true },
        });
        return 'verified';
      });
      if (outcome !== 'verified') return refuse(origin, 'email_verification.refused', outcome, link.userId);
      return { userId: link.userId, email: link.email };
    },

    /** Waits for mail still being prepared or sent (shutdown, tests). */
    async drain(): Promise<void> {
      while (pending.size) await Promise.all([...pending]);
    },
  };
}

export type EmailFlows = ReturnType<typeof createEmailFlows>;

/** A new address given on the account page: shaped like an address, storable, not absurdly long. */
export function checkEmailAddress(address: string, field = 'email'): string {
  const trimmed = address.trim();
  if (trimmed.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(trimmed)) throw new ValidationError('the email address is invalid', [{ field, detail: 'is not an email address' }]);
  return trimmed;
}
