import type { Store } from '../ports/store.js';
import type { AuthenticationMethod } from './authentication-methods.js';

/**
 * A sign-in between its first and second factor, kept in the store under the interaction's id
 * (never in the browser session: until the second factor is proven there is no session).
 * `recoveryCodes` are sealed and held only until the page showing them once has been rendered.
 */
export interface PendingSignIn {
  accountId: string;
  amr: AuthenticationMethod[];
  /** Must enrol a factor before finishing (policy requires one and the person has none). */
  enrol: boolean;
  /** Set once the second factor (or an enrolment) succeeded: the sign-in may finish. */
  completed?: AuthenticationMethod[];
  sealedRecoveryCodes?: string;
}

const TTL_SECONDS = 900;

export function createPendingSignIns(deps: { store: Store }) {
  const key = (interactionId: string) => `signin:${interactionId}`;
  return {
    get: (interactionId: string) => deps.store.getJson<PendingSignIn>(key(interactionId)),
    save: (interactionId: string, pending: PendingSignIn) => deps.store.setJson(key(interactionId), pending, TTL_SECONDS),
    end: (interactionId: string) => deps.store.delete([key(interactionId)]),
  };
}

export type PendingSignIns = ReturnType<typeof createPendingSignIns>;
