import type { Lab, Membership, MembershipStatus, PrincipalType, ResourceRole } from '../../domain/types.js';
import { affectedRows } from './affected-rows.js';
import type { TenancyRepository } from '../../domain/ports/tenancy-repository.js';
import type { Database } from './database.js';

/** Labs, memberships and resource roles: who belongs where, with what role. */
export function createTenancyRepository(db: Database): TenancyRepository {
  return {
    /** Creates or renames a lab; its status changes only when given. */
    async upsertLab(lab: { id: string; name: string; status?: Lab['status'] }): Promise<void> {
      await db('labs')
        .insert({ id: lab.id, name: lab.name, status: lab.status ?? 'active' })
        .onConflict('id')
        .merge({ name: lab.name, ...(lab.status ? { status: lab.status } : {}), updated_at: db.fn.now() });
    },

    async findLab(id: string): Promise<Lab | undefined> {
      const row = await db('labs').first('id', 'name', 'status').where({ id });
      return row ? { id: row.id, name: row.name, status: row.status } : undefined;
    },

    async upsertMembership(m: { labId: string; userId: string; role: string; status?: MembershipStatus }): Promise<void> {
      await db('memberships')
        .insert({ lab_id: m.labId, user_id: m.userId, role: m.role, status: m.status ?? 'active' })
        .onConflict(['lab_id', 'user_id'])
        .merge({ role: m.role, status: m.status ?? 'active', updated_at: db.fn.now() });
    },

    /** Every membership of a user, with its lab's name and status. */
    async membershipsOfUser(userId: string): Promise<Membership[]> {
      const rows = await db('memberships as m')
        .join('labs as l', 'l.id', 'm.lab_id')
        .select('m.lab_id', 'l.name as lab_name', 'l.status as lab_status', 'm.user_id', 'm.role', 'm.status')
        .where('m.user_id', userId)
        .orderBy('l.name');
      return rows.map((r) => ({
        labId: r.lab_id, labName: r.lab_name, labStatus: r.lab_status, userId: r.user_id, role: r.role, status: r.status,
      }));
    },

    /** Replaces a principal's roles on the resources named in `roles` (import semantics). */
    async replaceResourceRoles(principalType: PrincipalType, principalId: string, roles: ResourceRole[]): Promise<void> {
      await db.transaction(async (trx) => {
        await trx('resource_roles').where({ principal_type: principalType, principal_id: principalId }).delete();
        if (roles.length) {
          await trx('resource_roles').insert(roles.map((r) => ({
            principal_type: principalType, principal_id: principalId, resource_uri: r.resourceUri, role: r.role, lab_id: r.labId ?? null,
          })));
        }
      });
    },

    async grantLab(grantId: string): Promise<string | undefined> {
      const row = await db('grant_labs').first('lab_id').where({ grant_id: grantId });
      return row?.lab_id;
    },

    async setGrantLab(grantId: string, labId: string): Promise<void> {
      await db('grant_labs').insert({ grant_id: grantId, lab_id: labId }).onConflict('grant_id').merge({ lab_id: labId, updated_at: db.fn.now() });
    },

    /** Lab choices of grants that no longer exist (revoked or expired). */
    async deleteOrphanGrantLabs(): Promise<number> {
      return db('grant_labs').whereNotExists(db('oidc_payloads').select(db.raw('1')).where('kind', 'Grant').whereRaw('oidc_payloads.id = grant_labs.grant_id')).delete();
    },

    async resourceRoles(principalType: PrincipalType, principalId: string, resourceUri: string): Promise<ResourceRole[]> {
      const rows = await db('resource_roles')
        .select('resource_uri', 'role', 'lab_id')
        .where({ principal_type: principalType, principal_id: principalId, resource_uri: resourceUri })
        .orderBy('role');
      return rows.map((r) => ({ resourceUri: r.resource_uri, role: r.role, labId: r.lab_id ?? undefined }));
    },

    /** Grants one role; false when the principal already held it (same resource, role and lab). */
    async grantRole(principalType: PrincipalType, principalId: string, role: ResourceRole): Promise<boolean> {
      // The unique index is on an expression (coalesce(lab_id, '')), so no conflict target is named.
      const inserted = await db('resource_roles')
        .insert({ principal_type: principalType, principal_id: principalId, resource_uri: role.resourceUri, role: role.role, lab_id: role.labId ?? null })
        .onConflict().ignore()
        .returning('id');
      return inserted.length > 0;
    },

    /** Withdraws one role (the global one when `labId` is undefined); false when it was not held. */
    async withdrawRole(principalType: PrincipalType, principalId: string, role: ResourceRole): Promise<boolean> {
      const deleted = await db('resource_roles')
        .where({ principal_type: principalType, principal_id: principalId, resource_uri: role.resourceUri, role: role.role })
        .modify((q) => (role.labId === undefined ? q.whereNull('lab_id') : q.where('lab_id', role.labId)))
        .delete();
      return affectedRows(deleted) > 0;
    },

    /** Withdraws every role of a principal (it is being deleted); how many there were. */
    async withdrawAllRoles(principalType: PrincipalType, principalId: string): Promise<number> {
      return affectedRows(await db('resource_roles').where({ principal_type: principalType, principal_id: principalId }).delete());
    },

    /**
     * Every role of a principal on every resource, ordered by resource, role, lab. With
     * `visibleIn`, only the global roles and those limited to that lab.
     */
    async rolesOf(principalType: PrincipalType, principalId: string, visibleIn?: string): Promise<ResourceRole[]> {
      const rows: Array<{ resource_uri: string; role: string; lab_id: string | null }> = await db('resource_roles')
        .select('resource_uri', 'role', 'lab_id')
        .where({ principal_type: principalType, principal_id: principalId })
        .modify((q) => { if (visibleIn !== undefined) q.where((w) => w.whereNull('lab_id').orWhere('lab_id', visibleIn)); })
        .orderBy('resource_uri').orderBy('role').orderByRaw("coalesce(lab_id, '')");
      return rows.map((r) => ({ resourceUri: r.resource_uri, role: r.role, labId: r.lab_id ?? undefined }));
    },
  };
}
