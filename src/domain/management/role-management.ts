import type { Repositories } from '../ports/repositories.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { PrincipalType, ResourceRole } from '../types.js';
import type { AuditedChange, ChangeOrigin } from './audited-change.js';

/** A role as the API shows it: on a resource, globally or limited to one lab. */
export interface RoleAssignment { resource: string; role: string; lab?: string }

/** A resource's role catalogue as a refusal names it. */
export function describeRoles(roles: readonly string[]): string {
  return roles.length ? `one of ${roles.map((r) => JSON.stringify(r)).join(', ')}` : 'none: the resource defines no roles';
}

const toAssignment = (r: ResourceRole): RoleAssignment => ({ resource: r.resourceUri, role: r.role, ...(r.labId ? { lab: r.labId } : {}) });

/**
 * Resource roles of users and service clients: list, grant (idempotent) and withdraw, each change
 * audited. Roles are read live when a user's access token is minted, so a change shows in the
 * user's next token. A lab admin (`confinedTo`) manages only roles limited to their lab, of
 * their lab's members; other users answer as unknown ones.
 */
export function createRoleManagement(deps: { repos: Repositories; change: AuditedChange }) {
  const { repos, change } = deps;

  async function assertUserVisible(userId: string, confinedTo?: string): Promise<void> {
    if (!(await repos.users.findInDirectory(userId, confinedTo))) throw new NotFoundError('user');
  }

  async function assertClientExists(clientId: string): Promise<void> {
    if (!(await repos.clients.find(clientId))) throw new NotFoundError('client');
  }

  /** The role must be in the resource's catalogue, the lab must exist: 400s naming the field. */
  async function assertGrantable(assignment: RoleAssignment, visibleLab: (labId: string) => boolean): Promise<void> {
    const resource = await repos.resources.find(assignment.resource);
    if (!resource) throw new ValidationError('unknown resource', [{ field: 'resource', detail: 'is not a registered resource' }]);
    if (!resource.roles.includes(assignment.role)) {
      throw new ValidationError('the resource has no such role', [{ field: 'role', detail: `is not a role of ${assignment.resource} (${describeRoles(resource.roles)})` }]);
    }
    if (assignment.lab !== undefined && (!visibleLab(assignment.lab) || !(await repos.labs.find(assignment.lab)))) {
      throw new ValidationError('no such lab', [{ field: 'lab', detail: 'no such lab' }]);
    }
  }

  async function grant(origin: ChangeOrigin, type: PrincipalType, id: string, assignment: RoleAssignment): Promise<{ role: RoleAssignment; created: boolean }> {
    return change(origin, async (tx, record) => {
      const created = await tx.tenancy.grantRole(type, id, { resourceUri: assignment.resource, role: assignment.role, labId: assignment.lab });
      if (created) await record('role.granted', `${type}:${id}`, { after: assignment });
      return { role: assignment, created };
    });
  }

  async function withdraw(origin: ChangeOrigin, type: PrincipalType, id: string, assignment: RoleAssignment): Promise<void> {
    await change(origin, async (tx, record) => {
      if (!(await tx.tenancy.withdrawRole(type, id, { resourceUri: assignment.resource, role: assignment.role, labId: assignment.lab }))) {
        throw new NotFoundError('role assignment');
      }
      await record('role.withdrawn', `${type}:${id}`, { before: assignment });
    });
  }

  /** A lab admin's assignments are limited to their lab: given, or implied when left out. */
  const inLab = (assignment: RoleAssignment, confinedTo?: string): RoleAssignment =>
    confinedTo === undefined || assignment.lab !== undefined ? assignment : { ...assignment, lab: confinedTo };

  return {
    async rolesOfUser(userId: string, confinedTo?: string): Promise<RoleAssignment[]> {
      await assertUserVisible(userId, confinedTo);
      return (await repos.tenancy.rolesOf('user', userId, confinedTo)).map(toAssignment);
    },

    async grantToUser(origin: ChangeOrigin, userId: string, requested: RoleAssignment, confinedTo?: string) {
      const assignment = inLab(requested, confinedTo);
      await assertUserVisible(userId, confinedTo);
      await assertGrantable(assignment, (labId) => confinedTo === undefined || labId === confinedTo);
      return grant(origin, 'user', userId, assignment);
    },

    async withdrawFromUser(origin: ChangeOrigin, userId: string, requested: RoleAssignment, confinedTo?: string): Promise<void> {
      const assignment = inLab(requested, confinedTo);
      await assertUserVisible(userId, confinedTo);
      // Another lab's assignment answers as one that does not exist.
      if (confinedTo !== undefined && assignment.lab !== confinedTo) throw new NotFoundError('role assignment');
      await withdraw(origin, 'user', userId, assignment);
    },

    async rolesOfClient(clientId: string): Promise<RoleAssignment[]> {
      await assertClientExists(clientId);
      return (await repos.tenancy.rolesOf('client', clientId)).map(toAssignment);
    },

    /** Clients act in no lab, so their roles are always global. */
    async grantToClient(origin: ChangeOrigin, clientId: string, assignment: { resource: string; role: string }) {
      await assertClientExists(clientId);
      await assertGrantable(assignment, () => false);
      return grant(origin, 'client', clientId, assignment);
    },

    async withdrawFromClient(origin: ChangeOrigin, clientId: string, assignment: { resource: string; role: string }): Promise<void> {
      await assertClientExists(clientId);
      await withdraw(origin, 'client', clientId, assignment);
    },
  };
}

export type RoleManagement = ReturnType<typeof createRoleManagement>;
