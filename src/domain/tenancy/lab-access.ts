import type { TenancyRepository } from '../ports/tenancy-repository.js';
import { AppError } from '../errors.js';
import type { PrincipalType } from '../types.js';

/** The user may not act in that lab: no active membership, or the lab is suspended. */
export class LabAccessDenied extends AppError {
  constructor(labId: string) {
    super('lab_access_denied', 403, `not an active member of lab ${labId}`);
  }
}

export interface LabClaim { id: string; name: string; role: string }
export interface ActingLab { labId: string; role: string }

/**
 * Which lab a user acts in and what that lets them do. Only active memberships of active labs
 * count, everywhere: claims, lab choice, token issuance and introspection.
 */
export function createLabAccess(deps: { tenancy: TenancyRepository }) {
  const { tenancy } = deps;

  async function activeLabs(userId: string): Promise<LabClaim[]> {
    return (await tenancy.membershipsOfUser(userId))
      .filter((m) => m.status === 'active' && m.labStatus === 'active')
      .map((m) => ({ id: m.labId, name: m.labName, role: m.role }));
  }

  async function activeMembership(userId: string, labId: string): Promise<ActingLab | undefined> {
    const lab = (await activeLabs(userId)).find((l) => l.id === labId);
    return lab ? { labId: lab.id, role: lab.role } : undefined;
  }

  return {
    activeLabs,
    activeMembership,

    /** Records the lab a grant acts in, after checking the user may act there. */
    async chooseLab(grantId: string, userId: string, labId: string): Promise<ActingLab> {
      const acting = await activeMembership(userId, labId);
      if (!acting) throw new LabAccessDenied(labId);
      await tenancy.setGrantLab(grantId, labId);
      return acting;
    },

    /**
     * The lab a grant acts in: the recorded choice, or the user's only lab. Undefined when the
     * user has no lab or has several and none was chosen. Throws when the recorded lab is no
     * longer allowed (membership or lab suspended): the grant must not mint tokens for it.
     */
    async actingLab(grantId: string | undefined, userId: string): Promise<ActingLab | undefined> {
      const recorded = grantId ? await tenancy.grantLab(grantId) : undefined;
      if (recorded) {
        const acting = await activeMembership(userId, recorded);
        if (!acting) throw new LabAccessDenied(recorded);
        return acting;
      }
      const labs = await activeLabs(userId);
      return labs.length === 1 ? { labId: labs[0]!.id, role: labs[0]!.role } : undefined;
    },

    /** The lab recorded for a grant, if any (checked or not). */
    recordedLab: (grantId: string) => tenancy.grantLab(grantId),

    /** Whether a lab choice is still needed for this grant (several labs, none chosen). */
    async needsChoice(grantId: string | undefined, userId: string, requestedLab: string | undefined): Promise<boolean> {
      const recorded = grantId ? await tenancy.grantLab(grantId) : undefined;
      if (requestedLab) return recorded !== requestedLab;
      if (recorded) return false;
      return (await activeLabs(userId)).length > 1;
    },

    /** A principal's roles on a resource, in a lab: global roles plus those limited to that lab. */
    async rolesOn(principalType: PrincipalType, principalId: string, resourceUri: string, labId?: string): Promise<string[]> {
      const roles = await tenancy.resourceRoles(principalType, principalId, resourceUri);
      return [...new Set(roles.filter((r) => !r.labId || r.labId === labId).map((r) => r.role))].sort();
    },
  };
}

export type LabAccess = ReturnType<typeof createLabAccess>;
