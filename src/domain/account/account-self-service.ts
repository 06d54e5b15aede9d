import { AppError, NotFoundError } from '../errors.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { EmailFlows } from '../email/email-flows.js';
import type { AuditedChange, ChangeOrigin } from '../management/audited-change.js';
import type { ListedSession, SessionListing } from '../management/session-listing.js';
import type { AccountGrant } from '../ports/grant-origin-repository.js';
import type { SessionDirectory } from '../ports/session-directory.js';
import type { UserRepository } from '../ports/user-repository.js';
import type { User } from '../types.js';
import type { LoginThrottle } from '../users/login-throttle.js';
import type { PasswordHasher } from '../users/password-hasher.js';
import type { PasswordPolicy } from '../users/password-policy.js';
import { ACCOUNT_CLIENT_ID } from './account-client.js';

/** The current password given to change it was wrong (or the account is locked: the same answer). */
export class WrongPasswordError extends AppError {
  constructor() {
    super('wrong_password', 403, 'The current password is not correct.', { expose: true });
  }
}

/** A connected application as the account page lists it. */
export interface ConnectedApplication extends AccountGrant { clientName: string }

export interface AccountOverview {
  user: User;
  /** Browser sessions, the one in use marked `current`. */
  sessions: Array<ListedSession & { current: boolean }>;
  applications: ConnectedApplication[];
}

export interface AccountSelfServiceDeps {
  users: Pick<UserRepository, 'findById' | 'findByUsername'>;
  change: AuditedChange;
  audit: AuditLog;
  hasher: PasswordHasher;
  passwordPolicy: PasswordPolicy;
  /** The login lockout: wrong current passwords count toward it, as wrong logins do. */
  throttle: LoginThrottle;
  sessions: SessionListing;
  /** The Gatehouse browser sessions: the account page lives only as long as the one it signed in through. */
  browserSessions: Pick<SessionDirectory, 'sessionsOf'>;
  /** A client's display name (its client_name, else its id). */
  clientName: (clientId: string) => Promise<string>;
  /** Undefined without SMTP: then the address cannot be changed here (it could not be verified). */
  email?: EmailFlows;
}

/**
 * What a signed-in person does to their own account: name, address (verified by mail before it
 * applies), password (the current one required, the policy enforced, other sessions optionally
 * ended), sessions and connected applications. Always the person's own account: the user id
 * comes from the account page's session, never from the request.
 */
export function createAccountSelfService(deps: AccountSelfServiceDeps) {
  async function user(userId: string): Promise<User> {
    const found = await deps.users.findById(userId);
    if (!found || found.status !== 'active') throw new NotFoundError('user');
    return found;
  }
  const self = (origin: ChangeOrigin, userId: string): ChangeOrigin => ({ ...origin, actor: `user:${userId}` });

  return {
    user,
    emailChangeAvailable: deps.email !== undefined,

    /** Whether the person is still active and the Gatehouse session `sessionUid` still alive. */
    async sessionIsLive(userId: string, sessionUid: string): Promise<boolean> {
      const [found, sessions] = await Promise.all([deps.users.findById(userId), deps.browserSessions.sessionsOf(userId)]);
      return found?.status === 'active' && sessions.some((s) => s.id === sessionUid);
    },

    async overview(userId: string, currentSessionUid: string): Promise<AccountOverview> {
      const [found, listed] = await Promise.all([user(userId), deps.sessions.list(userId)]);
      const applications = await Promise.all(listed.grants
        // The account page's own grant is how this page signed in, not an application to revoke.
        .filter((g) => g.clientId !== ACCOUNT_CLIENT_ID)
        .map(async (g) => ({ ...g, clientName: await deps.clientName(g.clientId) })));
      return { user: found, sessions: listed.sessions.map((s) => ({ ...s, current: s.id === currentSessionUid })), applications };
    },

    async updateName(origin: ChangeOrigin, userId: string, names: { givenName?: string; familyName?: string }): Promise<void> {
      const change = { givenName: names.givenName?.trim() || null, familyName: names.familyName?.trim() || null };
      await deps.change(self(origin, userId), async (tx, record) => {
        const before = await tx.users.findById(userId);
        if (!before) throw new NotFoundError('user');
        await tx.users.update(userId, change);
        await record('user.profile_updated', `user:${userId}`, {
          before: { givenName: before.givenName ?? null, familyName: before.familyName ?? null }, after: change,
        });
      });
    },

    /** Sends a link to the new address; the account keeps its address until the link is opened. */
    async requestEmailChange(origin: ChangeOrigin, userId: string, email: string): Promise<void> {
      if (!deps.email) throw new NotFoundError('email change');
      await user(userId);
      await deps.email.sendVerification(userId, email, self(origin, userId), 'email_change');
    },

    /** Sends a link to the current, unverified address. */
    async resendVerification(origin: ChangeOrigin, userId: string): Promise<void> {
      if (!deps.email) throw new NotFoundError('email verification');
      const found = await user(userId);
      if (found.email && !found.emailVerified) await deps.email.sendVerification(userId, found.email, self(origin, userId), 'resend');
    },

    /**
     * Replaces the password after checking the current one (argon2, counted toward the login
     * lockout when wrong) and the policy; with `endOthers`, every other session and grant ends.
     */
    async changePassword(origin: ChangeOrigin, userId: string, input: { current: string; next: string; endOthers: boolean; keepSessionUid: string }): Promise<void> {
      const found = await user(userId);
      const stored = (await deps.users.findByUsername(found.username))?.passwordHash;
      const throttleKey = `user:${userId}`;
      const [valid, locked] = await Promise.all([deps.hasher.verify(stored, input.current), deps.throttle.isLocked(throttleKey)]);
      if (!valid || locked) {
        await deps.audit.record({ actor: `user:${userId}`, action: 'user.password_change_failed', target: `user:${userId}`, details: { reason: locked ? 'locked_out' : 'wrong_password' }, requestId: origin.requestId, ip: origin.ip });
        if (!locked) await deps.throttle.recordFailure(throttleKey);
        throw new WrongPasswordError();
      }
      await deps.passwordPolicy.check(input.next, { username: found.username, email: found.email }, 'password');
      const passwordHash = await deps.hasher.hash(input.next);
      await deps.change(self(origin, userId), async (tx, record) => {
        await tx.users.setPasswordHash(userId, passwordHash);
        await record('user.password_changed', `user:${userId}`, { endOthers: input.endOthers });
      });
      if (input.endOthers) await deps.sessions.endOthers(self(origin, userId), userId, input.keepSessionUid);
    },

    endSession: (origin: ChangeOrigin, userId: string, sessionId: string) => deps.sessions.endSession(self(origin, userId), userId, sessionId, undefined, true),
    endOtherSessions: (origin: ChangeOrigin, userId: string, keepSessionUid: string) => deps.sessions.endOthers(self(origin, userId), userId, keepSessionUid),
    revokeApplication: (origin: ChangeOrigin, userId: string, grantId: string) => deps.sessions.revokeGrant(self(origin, userId), userId, grantId, undefined, true),
  };
}

export type AccountSelfService = ReturnType<typeof createAccountSelfService>;
