import type { Requirement } from './requirement.js';
import { VerifierError } from './verifier-error.js';

/** Gatehouse's multi-factor class: what a failed {@link requireAmr} asks the client to step up to. */
const MULTI_FACTOR_ACR = 'urn:gatehouse:acr:mfa';

/**
 * Requires the person to have signed in at one of the given authentication context classes
 * (`acr`), e.g. Gatehouse's `urn:gatehouse:acr:mfa`. Fails with `insufficient_user_authentication`
 * (401) and a challenge naming `acr_values` (RFC 9470): the client sends the person back to
 * Gatehouse with those `acr_values` to step up. Service tokens (no `acr`) fail too.
 *
 * @example
 * ```ts
 * import { koaRequire, requireAcr } from '@gatehouse/verifier';
 *
 * router.post('/cases/:id/sign-off', auth, koaRequire(requireAcr('urn:gatehouse:acr:mfa')), signOff);
 * ```
 */
export function requireAcr(acr: string, ...more: string[]): Requirement {
  const accepted = [acr, ...more];
  return ({ claims }) => {
    if (claims.acr === undefined || !accepted.includes(claims.acr)) {
      throw new VerifierError('insufficient_user_authentication', `this request needs a sign-in at ${accepted.join(' or ')}`, { acrValues: accepted.join(' ') });
    }
  };
}

/**
 * Requires every given authentication method (RFC 8176 `amr`) in the person's sign-in, e.g.
 * `requireAmr('mfa')` for two factors, `requireAmr('hwk')` for a device-bound key. Fails with
 * `insufficient_user_authentication` (401) whose challenge asks for Gatehouse's multi-factor class.
 *
 * @example
 * ```ts
 * import { expressRequire, requireAmr } from '@gatehouse/verifier';
 *
 * app.delete('/patients/:id', auth, expressRequire(requireAmr('mfa')), removePatient);
 * ```
 */
export function requireAmr(method: string, ...more: string[]): Requirement {
  const needed = [method, ...more];
  return ({ claims }) => {
    const used = new Set(claims.amr ?? []);
    if (!needed.every((m) => used.has(m))) {
      throw new VerifierError('insufficient_user_authentication', `this request needs a sign-in with ${needed.join(' and ')}`, { acrValues: MULTI_FACTOR_ACR });
    }
  };
}
