import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

import type { Store } from '../ports/store.js';

/** A person signed in to the account page: who, through which Gatehouse browser session, and the page's CSRF token. */
export interface AccountSession {
  userId: string;
  /** The uid of the Gatehouse (SSO) session the sign-in went through: "this device" in the sessions list. */
  sessionUid: string;
  csrf: string;
}

/** What a sign-in in progress must find again at the callback. */
export interface PendingSignIn {
  state: string;
  nonce: string;
  codeVerifier: string;
}

const random = () => randomBytes(32).toString('base64url');
const keyOf = (kind: string, handle: string) => `account:${kind}:${createHash('sha256').update(handle).digest('base64url')}`;

/** Constant-time equality of two strings (CSRF tokens, OAuth state). */
export function sameSecret(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The account page's own sessions and sign-ins in progress, in the shared store (any node serves
 * any request). The browser holds only a random handle; the store holds its SHA-256, so a copy of
 * the store opens no session. Sessions last `ttlSeconds` at most and end with the Gatehouse
 * session they came from (checked by the page on every request).
 */
export function createAccountSessions(deps: { store: Store; ttlSeconds: number; signInTtlSeconds: number }) {
  return {
    async beginSignIn(): Promise<{ handle: string } & PendingSignIn> {
      const handle = random();
      const pending: PendingSignIn = { state: random(), nonce: random(), codeVerifier: random() };
      await deps.store.setJson(keyOf('sign-in', handle), pending, deps.signInTtlSeconds);
      return { handle, ...pending };
    },

    /** The sign-in `handle` started, once: a second callback with the same handle finds nothing. */
    async finishSignIn(handle: unknown, state: unknown): Promise<PendingSignIn | undefined> {
      if (typeof handle !== 'string' || handle.length > 100) return undefined;
      const key = keyOf('sign-in', handle);
      if (!(await deps.store.claim(`${key}:used`, deps.signInTtlSeconds))) return undefined;
      const pending = await deps.store.getJson<PendingSignIn>(key);
      await deps.store.delete([key]);
      return pending && sameSecret(state, pending.state) ? pending : undefined;
    },

    async start(userId: string, sessionUid: string): Promise<{ handle: string; session: AccountSession }> {
      const handle = random();
      const session: AccountSession = { userId, sessionUid, csrf: random() };
      await deps.store.setJson(keyOf('session', handle), session, deps.ttlSeconds);
      return { handle, session };
    },

    async find(handle: unknown): Promise<AccountSession | undefined> {
      if (typeof handle !== 'string' || handle.length > 100) return undefined;
      return deps.store.getJson<AccountSession>(keyOf('session', handle));
    },

    async end(handle: unknown): Promise<void> {
      if (typeof handle === 'string' && handle.length <= 100) await deps.store.delete([keyOf('session', handle)]);
    },
  };
}

export type AccountSessions = ReturnType<typeof createAccountSessions>;
