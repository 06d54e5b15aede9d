import type { LabRole } from './gatehouse-claims.js';
import type { Requirement } from './requirement.js';
import { VerifierError } from './verifier-error.js';

/**
 * Requires that the token acts in a lab (`lab_id` present), and, when lab roles are given, that
 * the user's membership role there (`lab_role`) is one of them. Roles are matched exactly, with no
 * hierarchy: list every role that may pass. Fails with `insufficient_lab` (no lab) or
 * `insufficient_role` (other lab role), both 403. Service (client_credentials) tokens carry no lab
 * and never pass. For roles on the resource, use {@link requireRole}.
 *
 * @example
 * ```ts
 * import { koaRequire, requireLab } from '@gatehouse/verifier';
 *
 * router.get('/samples', auth, koaRequire(requireLab()), listSamplesOfLab);
 * router.delete('/samples/:id', auth, koaRequire(requireLab('admin', 'member')), deleteSample);
 * ```
 */
export function requireLab(...labRoles: LabRole[]): Requirement {
  const allowed = [...labRoles];
  return ({ claims }) => {
    if (claims.lab_id === undefined) throw new VerifierError('insufficient_lab', 'this request needs a token acting in a lab');
    if (allowed.length > 0 && (claims.lab_role === undefined || !allowed.includes(claims.lab_role))) {
      throw new VerifierError('insufficient_role', `this request needs lab role ${allowed.join(' or ')}`);
    }
  };
}
