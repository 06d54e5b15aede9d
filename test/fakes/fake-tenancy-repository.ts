import { MissingReferenceError } from '../../src/domain/errors.js';
import type { Clock } from '../../src/domain/ports/clock.js';
import type { TenancyRepository } from '../../src/domain/ports/tenancy-repository.js';
import type { PrincipalType, ResourceRole } from '../../src/domain/types.js';
import { byKeys, type FakeState, type RoleRow } from './fake-state.js';

const toRole = (r: ResourceRole): ResourceRole => ({ resourceUri: r.resourceUri, role: r.role, ...(r.labId !== undefined ? { labId: r.labId } : {}) });
const sameRole = (a: RoleRow, type: PrincipalType, id: string, role: ResourceRole) =>
  a.principalType === type && a.principalId === id && a.resourceUri === role.resourceUri && a.role === role.role && a.labId === role.labId;

/** Memberships, resource roles and grants' lab choices held in FakeState, honouring the TenancyRepository contract. */
export function createFakeTenancyRepository(state: FakeState, clock: Clock): TenancyRepository {
  /** The foreign keys of resource_roles: the resource, and the lab when one is named. */
  function assertReferences(role: ResourceRole): void {
    if (!state.resources.some((r) => r.uri === role.resourceUri)) throw new MissingReferenceError();
    if (role.labId !== undefined && !state.labs.some((l) => l.id === role.labId)) throw new MissingReferenceError();
  }

  return {
    async upsertLab({ id, name, status }) {
      const existing = state.labs.find((l) => l.id === id);
      const now = clock.now();
      if (!existing) {
        state.labs.push({ id, name, status: status ?? 'active', createdAt: now, updatedAt: now });
        return;
      }
      existing.name = name;
      if (status) existing.status = status;
      existing.updatedAt = now;
    },
    async findLab(id) {
      const lab = state.labs.find((l) => l.id === id);
      return lab ? { id: lab.id, name: lab.name, status: lab.status } : undefined;
    },
    async upsertMembership({ labId, userId, role, status }) {
      if (!state.labs.some((l) => l.id === labId) || !state.users.some((u) => u.id === userId)) throw new MissingReferenceError();
      const existing = state.members.find((m) => m.labId === labId && m.userId === userId);
      const now = clock.now();
      if (existing) Object.assign(existing, { role, status: status ?? 'active', updatedAt: now });
      else state.members.push({ labId, userId, role, status: status ?? 'active', createdAt: now, updatedAt: now });
    },
    async membershipsOfUser(userId) {
      return state.members
        .filter((m) => m.userId === userId)
        .map((m) => {
          const lab = state.labs.find((l) => l.id === m.labId)!;
          return { labId: m.labId, labName: lab.name, labStatus: lab.status, userId, role: m.role, status: m.status };
        })
        .sort(byKeys((m) => m.labName));
    },
    async replaceResourceRoles(principalType, principalId, roles) {
      roles.forEach(assertReferences);
      state.roles = state.roles.filter((r) => !(r.principalType === principalType && r.principalId === principalId));
      state.roles.push(...roles.map((r) => ({ principalType, principalId, ...toRole(r) })));
    },
    async grantLab(grantId) {
      return state.grantLabs[grantId];
    },
    async setGrantLab(grantId, labId) {
      if (!state.labs.some((l) => l.id === labId)) throw new MissingReferenceError();
      state.grantLabs[grantId] = labId;
    },
    async deleteOrphanGrantLabs() {
      const orphans = Object.keys(state.grantLabs).filter((id) => !state.grants.some((g) => g.id === id));
      for (const id of orphans) delete state.grantLabs[id];
      return orphans.length;
    },
    async resourceRoles(principalType, principalId, resourceUri) {
      return state.roles
        .filter((r) => r.principalType === principalType && r.principalId === principalId && r.resourceUri === resourceUri)
        .sort(byKeys((r) => r.role))
        .map(toRole);
    },
    async grantRole(principalType, principalId, role) {
      assertReferences(role);
      if (state.roles.some((r) => sameRole(r, principalType, principalId, role))) return false;
      state.roles.push({ principalType, principalId, ...toRole(role) });
      return true;
    },
    async withdrawRole(principalType, principalId, role) {
      const before = state.roles.length;
      state.roles = state.roles.filter((r) => !sameRole(r, principalType, principalId, role));
      return state.roles.length < before;
    },
    async withdrawAllRoles(principalType, principalId) {
      const before = state.roles.length;
      state.roles = state.roles.filter((r) => !(r.principalType === principalType && r.principalId === principalId));
      return before - state.roles.length;
    },
    async rolesOf(principalType, principalId, visibleIn) {
      return state.roles
        .filter((r) => r.principalType === principalType && r.principalId === principalId && (visibleIn === undefined || r.labId === undefined || r.labId === visibleIn))
        .sort(byKeys((r) => r.resourceUri, (r) => r.role, (r) => r.labId ?? ''))
        .map(toRole);
    },
  };
}
