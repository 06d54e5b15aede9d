import type { Requirement } from './requirement.js';
import { VerifierError } from './verifier-error.js';

/**
 * Requires a role on this resource: `role` must be in the token's `roles` claim (the principal's
 * global roles on the resource plus those limited to its current lab). It deliberately does not
 * look at `lab_role`: a resource role named `admin` and lab membership `admin` are different
 * grants, and mixing them would let one stand in for the other. Use `requireLab('admin')` for lab
 * membership roles. Fails with `insufficient_role` (403).
 *
 * @example
 * ```ts
 * import { expressRequire, requireRole } from '@gatehouse/verifier';
 *
 * app.post('/cases/:id/approve', auth, expressRequire(requireRole('manager')), approveCase);
 * ```
 */
export function requireRole(role: string): Requirement {
  return ({ claims }) => {
    if (!claims.roles?.includes(role)) throw new VerifierError('insufficient_role', `this request needs the ${role} role`);
  };
}
