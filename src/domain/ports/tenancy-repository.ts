import type { Lab, Membership, MembershipStatus, PrincipalType, ResourceRole } from '../types.js';

/** Labs, memberships and resource roles: who belongs where, with what role. */
export interface TenancyRepository {
  /** Creates or renames a lab; its status changes only when given. */
  upsertLab(lab: { id: string; name: string; status?: Lab['status'] }): Promise<void>;
  findLab(id: string): Promise<Lab | undefined>;
  upsertMembership(m: { labId: string; userId: string; role: string; status?: MembershipStatus }): Promise<void>;
  /** Every membership of a user, with its lab's name and status. */
  membershipsOfUser(userId: string): Promise<Membership[]>;
  /** Replaces a principal's roles on the resources named in `roles` (import semantics). */
  replaceResourceRoles(principalType: PrincipalType, principalId: string, roles: ResourceRole[]): Promise<void>;
  grantLab(grantId: string): Promise<string | undefined>;
  setGrantLab(grantId: string, labId: string): Promise<void>;
  /** Lab choices of grants that no longer exist (revoked or expired). */
  deleteOrphanGrantLabs(): Promise<number>;
  resourceRoles(principalType: PrincipalType, principalId: string, resourceUri: string): Promise<ResourceRole[]>;
  /** Grants one role; false when the principal already held it (same resource, role and lab). */
  grantRole(principalType: PrincipalType, principalId: string, role: ResourceRole): Promise<boolean>;
  /** Withdraws one role (the global one when `labId` is undefined); false when it was not held. */
  withdrawRole(principalType: PrincipalType, principalId: string, role: ResourceRole): Promise<boolean>;
  /** Withdraws every role of a principal (it is being deleted); how many there were. */
  withdrawAllRoles(principalType: PrincipalType, principalId: string): Promise<number>;
  /**
   * Every role of a principal on every resource, ordered by resource, role, lab. With
   * `visibleIn`, only the global roles and those limited to that lab.
   */
  rolesOf(principalType: PrincipalType, principalId: string, visibleIn?: string): Promise<ResourceRole[]>;
}
