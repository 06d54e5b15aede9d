import type { Verifier } from './create-verifier.js';
import type { GatehouseClaims } from './gatehouse-claims.js';

/**
 * What a {@link Requirement} sees: the verified claims, the raw token (for introspection) and the
 * verifier that checked it.
 *
 * @example
 * ```ts
 * import { VerifierError, type AuthContext } from '@gatehouse/verifier';
 *
 * const ownCasesOnly = ({ claims }: AuthContext) => {
 *   if (claims.sub === claims.client_id) throw new VerifierError('insufficient_role', 'service tokens may not use this route');
 * };
 * ```
 */
export interface AuthContext {
  readonly claims: GatehouseClaims;
  readonly token: string;
  readonly verifier: Verifier;
}

/**
 * A check on an authenticated request, shared by the Koa and Express adapters: it returns when
 * the request may proceed and throws a {@link VerifierError} (usually a 403 code) when not.
 * {@link requireLab}, {@link requireRole}, {@link requireScope} and {@link requireActive} make
 * them; any function of this shape works too.
 *
 * @example
 * ```ts
 * import { koaRequire, VerifierError, type Requirement } from '@gatehouse/verifier';
 *
 * const labOne: Requirement = ({ claims }) => {
 *   if (claims.lab_id !== 'lab-1') throw new VerifierError('insufficient_lab', 'this route is for lab-1');
 * };
 * router.get('/lab-one/report', auth, koaRequire(labOne), report);
 * ```
 */
export type Requirement = (auth: AuthContext) => void | Promise<void>;
