import type { Requirement } from './requirement.js';
import { VerifierError } from './verifier-error.js';

/**
 * Requires that Gatehouse still considers the token active, by introspection (cached for
 * `introspection.cacheMs`). Offline verification cannot see a revocation, a blocked user or a
 * suspended membership before the token expires; use this on the few routes where that delay
 * matters (payments, deleting data, admin actions), not on every request. The verifier needs the
 * `introspection` option. Fails with `token_invalid` (401) when inactive and
 * `introspection_unavailable` (503) when Gatehouse does not answer.
 *
 * @example
 * ```ts
 * import { createVerifier, koaAuth, koaRequire, requireActive, requireRole } from '@gatehouse/verifier';
 *
 * const verifier = createVerifier({
 *   issuer: 'https://id.example.org',
 *   audience: 'https://cms.example',
 *   introspection: { clientId: 'cms-api', clientSecret: process.env.CMS_API_SECRET! },
 * });
 * router.delete('/cases/:id', koaAuth(verifier), koaRequire(requireRole('manager'), requireActive()), deleteCase);
 * ```
 */
export function requireActive(): Requirement {
  return async ({ token, verifier }) => {
    if (!(await verifier.introspect(token))) throw new VerifierError('token_invalid', 'the access token has been revoked or is no longer active');
  };
}
