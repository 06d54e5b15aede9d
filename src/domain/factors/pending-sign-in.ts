import type { Store } from '../ports/store.js';
import type { SecretBox } from './secret-box.js';
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

export function createPendingSignIns(deps: { store: Store; box: SecretBox }) {
  const key = (interactionId: string) => `signin:${interactionId}`;
  const save = (interactionId: string, pending: PendingSignIn) => deps.store.setJson(key(interactionId), pending, TTL_SECONDS);
  return {
    get: (interactionId: string) => deps.store.getJson<PendingSignIn>(key(interactionId)),
    save,
    end: (interactionId: string) => deps.store.delete([key(interactionId)]),
    /** The second factor is proven (or enrolled): the sign-in may finish with `amr`; new recovery codes wait, sealed, to be shown once. */
    async complete(interactionId: string, pending: PendingSignIn, amr: AuthenticationMethod[], recoveryCodes?: string[]): Promise<void> {
      const sealedRecoveryCodes = recoveryCodes ? deps.box.seal(JSON.stringify(recoveryCodes), `recovery:${interactionId}`) : undefined;
      await save(interactionId, { ...pending, completed: amr, sealedRecoveryCodes });
    },
    /** The recovery codes waiting to be shown, removed as they are read (shown once). */
    async takeRecoveryCodes(interactionId: string, pending: PendingSignIn): Promise<string[] | undefined> {
      if (!pending.sealedRecoveryCodes) return undefined;
      const { sealedRecoveryCodes, ...rest } = pending;
      await save(interactionId, rest);
      return JSON.parse(deps.box.open(sealedRecoveryCodes, `recovery:${interactionId}`)) as string[];
    },
  };
}

export type PendingSignIns = ReturnType<typeof createPendingSignIns>;
