import type { LabRecord, LabRepository, MemberRecord } from '../ports/lab-repository.js';
import { ConflictError, DuplicateError, NotFoundError } from '../errors.js';
import type { LabStatus, MembershipStatus } from '../types.js';
import { randomIds, type IdGenerator } from '../ports/id-generator.js';
import type { Paging } from '../ports/paging.js';
import type { AuditedChange, ChangeOrigin } from './audited-change.js';
import type { labChangeSchema, memberChangeSchema, newLabSchema, newMemberSchema } from '../schemas/lab-schemas.js';
import type { SchemaType } from '../schemas/schema-type.js';

export type NewLab = SchemaType<typeof newLabSchema>;
export type LabChange = SchemaType<typeof labChangeSchema>;
export type NewMember = SchemaType<typeof newMemberSchema>;
export type MemberChange = SchemaType<typeof memberChangeSchema>;

/**
 * Labs and memberships: create, change, suspend, delete; add, change and remove members. Every
 * change is audited with its before and after. `confinedTo` is set for lab admins: anything
 * outside that lab is reported as not found.
 */
export function createLabManagement(deps: { labs: LabRepository; change: AuditedChange; ids?: IdGenerator }) {
  const newId = deps.ids ?? randomIds;
  const visible = (labId: string, confinedTo: string | undefined) => confinedTo === undefined || confinedTo === labId;

  async function findLab(labId: string, confinedTo?: string): Promise<LabRecord> {
    const lab = visible(labId, confinedTo) ? await deps.labs.find(labId) : undefined;
    if (!lab) throw new NotFoundError('lab');
    return lab;
  }

  return {
    findLab,

    list: (filter: { q?: string; status?: LabStatus }, page: Paging, confinedTo?: string) =>
      deps.labs.list({ ...filter, onlyId: confinedTo }, page),

    async create(origin: ChangeOrigin, lab: NewLab): Promise<LabRecord> {
      const id = lab.id ?? `lab_${newId()}`;
      return deps.change(origin, async (repos, record) => {
        try {
          await repos.labs.insert({ id, name: lab.name, status: lab.status });
        } catch (error) {
          if (error instanceof DuplicateError) throw new ConflictError(`a lab with id ${id} already exists`, { fields: [{ field: 'id', detail: 'is taken' }] });
          throw error;
        }
        const created = (await repos.labs.find(id))!;
        await record('lab.created', `lab:${id}`, { after: created });
        return created;
      });
    },

    async update(origin: ChangeOrigin, labId: string, change: LabChange): Promise<LabRecord> {
      return deps.change(origin, async (repos, record) => {
        const before = await repos.labs.find(labId);
        if (!before) throw new NotFoundError('lab');
        await repos.labs.update(labId, change);
        const after = (await repos.labs.find(labId))!;
        const action = change.status && change.status !== before.status ? (change.status === 'suspended' ? 'lab.suspended' : 'lab.reactivated') : 'lab.updated';
        await record(action, `lab:${labId}`, { before, after });
        return after;
      });
    },

    async remove(origin: ChangeOrigin, labId: string): Promise<void> {
      await deps.change(origin, async (repos, record) => {
        const before = await repos.labs.find(labId);
        if (!before || !(await repos.labs.delete(labId))) throw new NotFoundError('lab');
        await record('lab.deleted', `lab:${labId}`, { before });
      });
    },

    async listMembers(labId: string, filter: { role?: string; status?: MembershipStatus }, page: Paging, confinedTo?: string) {
      await findLab(labId, confinedTo);
      return deps.labs.listMembers(labId, filter, page);
    },

    async findMember(labId: string, userId: string, confinedTo?: string): Promise<MemberRecord> {
      await findLab(labId, confinedTo);
      const member = await deps.labs.findMember(labId, userId);
      if (!member) throw new NotFoundError('member');
      return member;
    },

    async addMember(origin: ChangeOrigin, labId: string, member: NewMember, confinedTo?: string): Promise<MemberRecord> {
      await findLab(labId, confinedTo);
      return deps.change(origin, async (repos, record) => {
        const user = await repos.users.findById(member.userId);
        if (!user) throw new NotFoundError('user');
        // A lab admin may bring in only accounts that belong to no lab yet: a platform admin's, or
        // another lab's member, would come within reach of their session and profile operations.
        // Refused as if unknown, so other labs' members cannot be found this way either.
        if (confinedTo !== undefined && (user.isAdmin || (await repos.tenancy.membershipsOfUser(user.id)).some((m) => m.labId !== labId))) {
          throw new NotFoundError('user');
        }
        try {
          await repos.labs.insertMember({ labId, userId: member.userId, role: member.role, status: member.status ?? 'active' });
        } catch (error) {
          if (error instanceof DuplicateError) throw new ConflictError('the user is already a member of this lab', { fields: [{ field: 'userId', detail: 'is already a member' }] });
          throw error;
        }
        const after = (await repos.labs.findMember(labId, member.userId))!;
        await record('member.added', `lab:${labId}/user:${member.userId}`, { after });
        return after;
      });
    },

    async updateMember(origin: ChangeOrigin, labId: string, userId: string, change: MemberChange, confinedTo?: string): Promise<MemberRecord> {
      await findLab(labId, confinedTo);
      return deps.change(origin, async (repos, record) => {
        const before = await repos.labs.findMember(labId, userId);
        if (!before) throw new NotFoundError('member');
        await repos.labs.updateMember(labId, userId, change);
        const after = (await repos.labs.findMember(labId, userId))!;
        await record('member.updated', `lab:${labId}/user:${userId}`, { before, after });
        return after;
      });
    },

    async removeMember(origin: ChangeOrigin, labId: string, userId: string, confinedTo?: string): Promise<void> {
      await findLab(labId, confinedTo);
      await deps.change(origin, async (repos, record) => {
        const before = await repos.labs.findMember(labId, userId);
        if (!before || !(await repos.labs.deleteMember(labId, userId))) throw new NotFoundError('member');
        await record('member.removed', `lab:${labId}/user:${userId}`, { before });
      });
    },
  };
}

export type LabManagement = ReturnType<typeof createLabManagement>;
