import type { LabStatus, MembershipStatus } from '../../domain/types.js';
import { affectedRows } from './affected-rows.js';
import type { Database } from './database.js';

import type { LabRecord, LabRepository, MemberRecord } from '../../domain/ports/lab-repository.js';

const toLab = (r: Record<string, unknown>): LabRecord => ({
  id: r.id as string, name: r.name as string, status: r.status as LabStatus, memberCount: Number(r.member_count ?? 0),
  createdAt: new Date(r.created_at as string), updatedAt: new Date(r.updated_at as string),
});
const toMember = (r: Record<string, unknown>): MemberRecord => ({
  labId: r.lab_id as string, userId: r.user_id as string, username: r.username as string, email: (r.email as string | null) ?? undefined,
  role: r.role as string, status: r.status as MembershipStatus, createdAt: new Date(r.created_at as string), updatedAt: new Date(r.updated_at as string),
});

/** Labs and their members, for the management API and CLI. Every member query names its lab. */
export function createLabRepository(db: Database): LabRepository {
  const labsWithCounts = () => db('labs as l')
    .select('l.*', db('memberships as m').count('*').whereRaw('m.lab_id = l.id').as('member_count'));

  return {
    async insert(lab: { id: string; name: string; status?: LabStatus }): Promise<void> {
      await db('labs').insert({ id: lab.id, name: lab.name, status: lab.status ?? 'active' });
    },

    async find(id: string): Promise<LabRecord | undefined> {
      const row = await labsWithCounts().where('l.id', id).first();
      return row ? toLab(row) : undefined;
    },

    /** Labs by name (case-insensitive substring) and status; `onlyId` confines the list to one lab. */
    async list(filter: { q?: string; status?: LabStatus; onlyId?: string }, page: { limit: number; offset: number }): Promise<{ items: LabRecord[]; total: number }> {
      const where = (query: ReturnType<Database>) => {
        if (filter.onlyId !== undefined) query.where('l.id', filter.onlyId);
        if (filter.status) query.where('l.status', filter.status);
        // Bracketed: an OR beside the lab confinement would otherwise reach every lab.
        const q = filter.q;
        if (q) query.where((w) => w.whereRaw('position(lower(?) in lower(l.name)) > 0', [q]).orWhereRaw('position(lower(?) in lower(l.id)) > 0', [q]));
        return query;
      };
      const [{ total }] = await where(db('labs as l')).count({ total: '*' }) as Array<{ total: number | string }>;
      const rows = await where(labsWithCounts()).orderBy('l.name').orderBy('l.id').limit(page.limit).offset(page.offset);
      return { items: rows.map(toLab), total: Number(total) };
    },

    async update(id: string, change: { name?: string; status?: LabStatus }): Promise<boolean> {
      const updated = await db('labs').where({ id }).update({ ...change, updated_at: db.fn.now() });
      return affectedRows(updated) > 0;
    },

    async delete(id: string): Promise<boolean> {
      const deleted = await db('labs').where({ id }).delete();
      return affectedRows(deleted) > 0;
    },

    async findMember(labId: string, userId: string): Promise<MemberRecord | undefined> {
      const row = await db('memberships as m').join('users as u', 'u.id', 'm.user_id')
        .select('m.*', 'u.username', 'u.email').where({ 'm.lab_id': labId, 'm.user_id': userId }).first();
      return row ? toMember(row) : undefined;
    },

    async listMembers(labId: string, filter: { role?: string; status?: MembershipStatus }, page: { limit: number; offset: number }): Promise<{ items: MemberRecord[]; total: number }> {
      const base = () => {
        const query = db('memberships as m').where('m.lab_id', labId);
        if (filter.role) query.where('m.role', filter.role);
        if (filter.status) query.where('m.status', filter.status);
        return query;
      };
      const [{ total }] = await base().count({ total: '*' }) as Array<{ total: number | string }>;
      const rows = await base().join('users as u', 'u.id', 'm.user_id').select('m.*', 'u.username', 'u.email')
        .orderBy('u.username').orderBy('m.user_id').limit(page.limit).offset(page.offset);
      return { items: rows.map(toMember), total: Number(total) };
    },

    async insertMember(m: { labId: string; userId: string; role: string; status: MembershipStatus }): Promise<void> {
      await db('memberships').insert({ lab_id: m.labId, user_id: m.userId, role: m.role, status: m.status });
    },

    async updateMember(labId: string, userId: string, change: { role?: string; status?: MembershipStatus }): Promise<boolean> {
      const updated = await db('memberships').where({ lab_id: labId, user_id: userId }).update({ ...change, updated_at: db.fn.now() });
      return affectedRows(updated) > 0;
    },

    async deleteMember(labId: string, userId: string): Promise<boolean> {
      const deleted = await db('memberships').where({ lab_id: labId, user_id: userId }).delete();
      return affectedRows(deleted) > 0;
    },
  };
}
