import { RESOURCES_PROPERTY } from '../../domain/client-metadata.js';
import { affectedRows } from './affected-rows.js';
import type { Database } from './database.js';

import type { ClientMetadata, ClientRecord, ClientRepository } from '../../domain/ports/client-repository.js';

const parse = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value) as ClientMetadata;
const toRecord = (r: Record<string, unknown>): ClientRecord => ({
  metadata: parse(r.metadata), createdAt: new Date(r.created_at as string), updatedAt: new Date(r.updated_at as string),
});

export function createClientRepository(db: Database): ClientRepository {
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
      return parse(row.metadata);
    },

    /** Fails with a unique violation (clients_pkey) when the id is taken. */
    async insert(metadata: ClientMetadata): Promise<void> {
      await db('clients').insert({ client_id: metadata.client_id, metadata: JSON.stringify(metadata) });
    },

    async findRecord(clientId: string): Promise<ClientRecord | undefined> {
      const row = await db('clients').first().where({ client_id: clientId });
      return row ? toRecord(row) : undefined;
    },

    /** Reads the row for update, so concurrent changes to one client (e.g. two rotations) serialise. */
    async findForUpdate(clientId: string): Promise<ClientRecord | undefined> {
      const row = await db('clients').first().where({ client_id: clientId }).forUpdate();
      return row ? toRecord(row) : undefined;
    },

    async replace(metadata: ClientMetadata): Promise<boolean> {
      const updated = await db('clients').where({ client_id: metadata.client_id }).update({ metadata: JSON.stringify(metadata), updated_at: db.fn.now() });
      return affectedRows(updated) > 0;
    },

    /** Deletes the client and the resource roles it held (they are keyed by its id, not a foreign key). */
    async delete(clientId: string): Promise<boolean> {
      await db('resource_roles').where({ principal_type: 'client', principal_id: clientId }).delete();
      const deleted = await db('clients').where({ client_id: clientId }).delete();
      return affectedRows(deleted) > 0;
    },

    /** Clients by id or name (case-insensitive substring) and grant type, ordered by client id. */
    async list(filter: { q?: string; grantType?: string; resource?: string }, page: { limit: number; offset: number }): Promise<{ items: ClientRecord[]; total: number }> {
      const where = () => {
        const query = db('clients');
        const text = filter.q;
        if (text) {
          query.where((q) => q.whereRaw('position(lower(?) in lower(client_id)) > 0', [text])
            .orWhereRaw("position(lower(?) in lower(coalesce(metadata->>'client_name', ''))) > 0", [text]));
        }
        if (filter.grantType) query.whereRaw("metadata->'grant_types' @> ?::jsonb", [JSON.stringify([filter.grantType])]);
        if (filter.resource) query.whereRaw('metadata->? @> ?::jsonb', [RESOURCES_PROPERTY, JSON.stringify([filter.resource])]);
        return query;
      };
      const [{ total }] = await where().count({ total: '*' }) as Array<{ total: number | string }>;
      const rows = await where().select().orderBy('client_id').limit(page.limit).offset(page.offset);
      return { items: rows.map(toRecord), total: Number(total) };
    },

    /** Ids of the clients that may ask for tokens for a resource. */
    async idsListingResource(uri: string): Promise<string[]> {
      return db('clients').whereRaw('metadata->? @> ?::jsonb', [RESOURCES_PROPERTY, JSON.stringify([uri])]).orderBy('client_id').pluck('client_id');
    },

    /** Grants (user authorisations) issued to a client, for revoking them when it is deleted. */
    async grantIdsOf(clientId: string): Promise<string[]> {
      return db('oidc_payloads').where({ kind: 'Grant' }).whereRaw("payload->>'clientId' = ?", [clientId]).pluck('id');
    },
  };
}
