import type { Resource } from '../../domain/types.js';
import type { Database } from './database.js';

export function createResourceRepository(db: Database) {
  const toResource = (r: { uri: string; name: string; access_token_ttl: number; scopes: unknown; roles: unknown }): Resource => ({
    uri: r.uri,
    name: r.name,
    accessTokenTtl: r.access_token_ttl,
    scopes: (typeof r.scopes === 'string' ? JSON.parse(r.scopes) : r.scopes) as string[],
    roles: (typeof r.roles === 'string' ? JSON.parse(r.roles) : r.roles) as string[],
  });
  return {
    async upsert(resource: Resource): Promise<void> {
      const row = {
        uri: resource.uri,
        name: resource.name,
        access_token_ttl: resource.accessTokenTtl,
        scopes: JSON.stringify(resource.scopes),
        roles: JSON.stringify(resource.roles),
      };
      await db('resources').insert(row).onConflict('uri').merge({ ...row, updated_at: db.fn.now() });
    },
    async find(uri: string): Promise<Resource | undefined> {
      const row = await db('resources').first().where({ uri });
      return row ? toResource(row) : undefined;
    },
    async list(): Promise<Resource[]> {
      return (await db('resources').select().orderBy('uri')).map(toResource);
    },
  };
}

export type ResourceRepository = ReturnType<typeof createResourceRepository>;
