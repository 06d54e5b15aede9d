import type { Database } from './database.js';

/** OAuth client metadata as oidc-provider reads it (snake_case, RFC 7591 names). */
export type ClientMetadata = Record<string, unknown> & { client_id: string };

export function createClientRepository(db: Database) {
  return {
    async upsert(metadata: ClientMetadata): Promise<void> {
      await db('clients')
        .insert({ client_id: metadata.client_id, metadata: JSON.stringify(metadata) })
        .onConflict('client_id')
        .merge({ metadata: JSON.stringify(metadata), updated_at: db.fn.now() });
    },
    async find(clientId: string): Promise<ClientMetadata | undefined> {
      const row = await db('clients').first('metadata').where({ client_id: clientId });
      if (!row) return undefined;
      return (typeof row.metadata === 'string' ? JSON.parse(row.metadata) : row.metadata) as ClientMetadata;
    },
  };
}

export type ClientRepository = ReturnType<typeof createClientRepository>;
