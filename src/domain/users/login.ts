import type { AuditLog } from '../audit/audit-log.js';
import type { Factor } from '../ports/factor-repository.js';
import type { User } from '../types.js';
import type { AuthenticationResult } from './authenticate-user.js';
import type { LoginThrottle } from './login-throttle.js';

export interface LoginAttempt {
  /** What the person typed: a username or an email. */
  login: string;
  password: string;
  /** The application the person is signing in to, for the audit log. */
  clientId?: string;
  requestId?: string;
  ip?: string;
}

export type LoginOutcome =
  /** `secondFactors`: the password was right, and the person must now prove one of these kinds of factor. */
  | { ok: true; user: User; secondFactors?: ReadonlySet<Factor['kind']> }
  /** The reason is for operators (log and audit); a person is shown one message for all of them. */
  | { ok: false; reason: 'unknown_user' | 'wrong_password' | 'blocked' | 'locked_out' };

export interface LoginDeps {
  authenticate: (login: string, password: string) => Promise<AuthenticationResult>;
  throttle: LoginThrottle;
  audit: AuditLog;
}

/**
 * Signing in with a password: authenticate, apply the lockout, audit. The password is checked
 * even when the account is locked, so a lock cannot be told apart by timing either; failures
 * count per account (username and email are one counter), or per name typed when no account has
 * it; the failure that starts a lock is audited as `login.lockout`.
 */
export function createLogin(deps: LoginDeps) {
  return async function login(attempt: LoginAttempt): Promise<LoginOutcome> {
    const { login: name, password, clientId, requestId, ip } = attempt;
    const checked: AuthenticationResult = name && password ? await deps.authenticate(name, password) : { ok: false, reason: 'unknown_user' };
    const throttleKey = checked.ok ? `user:${checked.user.id}` : checked.userId ? `user:${checked.userId}` : `login:${name.toLowerCase()}`;
    // Independent reads, asked together: each sequential round trip lengthens every sign-in.
    const { locked, counted } = name ? await deps.throttle.check(throttleKey) : { locked: false, counted: false };
    // The kinds of second factor the person has, read with the account (the second step offers
    // them without looking again). With any, a right password does not end the count of
    // failures: wrong TOTP codes count towards the same lockout, and only a completed sign-in
    // clears it (else the password would reset the count between guesses of the code).
    const kinds = checked.ok ? checked.factorKinds : undefined;
    const context = { requestId, ip };
    if (locked || !checked.ok) {
      const reason = locked ? 'locked_out' : (checked as { reason: 'unknown_user' | 'wrong_password' | 'blocked' }).reason;
      await deps.audit.record({ actor: 'anonymous', action: 'login.failed', details: { reason, login: name, client_id: clientId }, ...context });
      if (name && !locked && (await deps.throttle.recordFailure(throttleKey))) {
        await deps.audit.record({ actor: 'anonymous', action: 'login.lockout', details: { login: name, client_id: clientId }, ...context });
      }
      return { ok: false, reason };
    }
    if (kinds?.size) {
      await deps.audit.record({
        actor: `user:${checked.user.id}`, action: 'login.password_verified', target: `user:${checked.user.id}`, details: { client_id: clientId }, ...context,
      });
      return { ok: true, user: checked.user, secondFactors: kinds };
    }
    await Promise.all([
      counted ? deps.throttle.reset(throttleKey) : undefined,
      deps.audit.record({
        actor: `user:${checked.user.id}`, action: 'login.succeeded', target: `user:${checked.user.id}`, details: { client_id: clientId }, ...context,
      }),
    ]);
    return { ok: true, user: checked.user };
  };
}

export type Login = ReturnType<typeof createLogin>;
