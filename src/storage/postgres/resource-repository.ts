import type { Resource } from '../../domain/types.js';
import { affectedRows } from './affected-rows.js';
import type { Database } from './database.js';

import type { ResourceRecord, ResourceRepository } from '../../domain/ports/resource-repository.js';

export function createResourceRepository(db: Database): ResourceRepository {
  const json = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value) as string[];
  const toResource = (r: { uri: string; name: string; access_token_ttl: number; scopes: unknown; roles: unknown; token_claims?: unknown }): Resource => ({
    uri: r.uri,
    name: r.name,
    accessTokenTtl: r.access_token_ttl,
    scopes: (typeof r.scopes === 'string' ? JSON.parse(r.scopes) : r.scopes) as string[],
    roles: (typeof r.roles === 'string' ? JSON.parse(r.roles) : r.roles) as string[],
    tokenClaims: json(r.token_claims ?? []),
  });
  const toRecord = (r: { uri: string; name: string; access_token_ttl: number; scopes: unknown; roles: unknown; created_at: unknown; updated_at: unknown }): ResourceRecord => ({
    ...toResource(r), createdAt: new Date(r.created_at as string), updatedAt: new Date(r.updated_at as string),
  });
  const toRow = (resource: Resource) => ({
    uri: resource.uri,
    name: resource.name,
    access_token_ttl: resource.accessTokenTtl,
    scopes: JSON.stringify(resource.scopes),
    roles: JSON.stringify(resource.roles),
    // Left alone when not given (Gatehouse's own upsert of the management API resource).
    ...(resource.tokenClaims ? { token_claims: JSON.stringify(resource.tokenClaims) } : {}),
  });
  return {
    async upsert(resource: Resource): Promise<void> {
      const row = toRow(resource);
      await db('resources').insert(row).onConflict('uri').merge({ ...row, updated_at: db.fn.now() });
    },
    async find(uri: string): Promise<Resource | undefined> {
      const row = await db('resources').first().where({ uri });
      return row ? toResource(row) : undefined;
    },
    async list(): Promise<Resource[]> {
      return (await db('resources').select().orderBy('uri')).map(toResource);
    },

    /** Fails with a unique violation (resources_pkey) when the URI is taken. */
    async insert(resource: Resource): Promise<void> {
      await db('resources').insert(toRow(resource));
    },

    async findRecord(uri: string): Promise<ResourceRecord | undefined> {
      const row = await db('resources').first().where({ uri });
      return row ? toRecord(row) : undefined;
    },

    async replace(resource: Resource): Promise<boolean> {
      const { uri: _uri, ...row } = toRow(resource);
      const updated = await db('resources').where({ uri: resource.uri }).update({ ...row, updated_at: db.fn.now() });
      return affectedRows(updated) > 0;
    },

    /** Deletes the resource; the roles principals held on it go with it (foreign key cascade). */
    async delete(uri: string): Promise<boolean> {
      const deleted = await db('resources').where({ uri }).delete();
      return affectedRows(deleted) > 0;
    },

    /** Resources by URI or name (case-insensitive substring), ordered by URI. */
    async page(filter: { q?: string }, page: { limit: number; offset: number }): Promise<{ items: ResourceRecord[]; total: number }> {
      const where = () => {
        const query = db('resources');
        const text = filter.q;
        if (text) query.where((q) => q.whereRaw('position(lower(?) in lower(uri)) > 0', [text]).orWhereRaw('position(lower(?) in lower(name)) > 0', [text]));
        return query;
      };
      const [{ total }] = await where().count({ total: '*' }) as Array<{ total: number | string }>;
      const rows = await where().select().orderBy('uri').limit(page.limit).offset(page.offset);
      return { items: rows.map(toRecord), total: Number(total) };
    },

    /** How many role assignments (users' and clients') name each of `roles` on the resource. */
    async roleAssignmentCounts(uri: string, roles?: string[]): Promise<Record<string, number>> {
      const query = db('resource_roles').where({ resource_uri: uri }).select('role').count({ n: '*' }).groupBy('role');
      if (roles) query.whereIn('role', roles);
      const rows = await query as Array<{ role: string; n: number | string }>;
      return Object.fromEntries(rows.map((r) => [r.role, Number(r.n)]));
    },
  };
}
