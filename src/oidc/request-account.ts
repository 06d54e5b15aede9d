import type { User } from '../domain/types.js';

const ACCOUNT = Symbol('account read by this request');

/**
 * Remembers, for the rest of this request, the account a sign-in has just read and found active.
 * The sign-in's post runs oidc-provider's resume in the same request
 * (src/interactions/interaction-result.ts), whose `findAccount` would read the same row again
 * a few milliseconds later. Scoped to one request's state: nothing outlives it, so there is
 * nothing to invalidate.
 */
export function rememberRequestAccount(state: Record<PropertyKey, unknown>, user: User): void {
  state[ACCOUNT] = user;
}

/** The account this request remembered, if it is `id`. */
export function requestAccount(state: Record<PropertyKey, unknown> | undefined, id: string): User | undefined {
  const user = state?.[ACCOUNT] as User | undefined;
  return user?.id === id ? user : undefined;
}
