import type { Page, Paging } from './paging.js';

/** OAuth client metadata as oidc-provider reads it (snake_case, RFC 7591 names). */
export type ClientMetadata = Record<string, unknown> & { client_id: string };

/** A client's row: its metadata plus when it was created and last changed. */
export interface ClientRecord { metadata: ClientMetadata; createdAt: Date; updatedAt: Date }

/** OAuth clients. `insert` throws DuplicateError when the id is taken. */
export interface ClientRepository {
  upsert(metadata: ClientMetadata): Promise<void>;
  find(clientId: string): Promise<ClientMetadata | undefined>;
  insert(metadata: ClientMetadata): Promise<void>;
  findRecord(clientId: string): Promise<ClientRecord | undefined>;
  /** Reads the client for update, so concurrent changes to one client (e.g. two rotations) serialise. */
  findForUpdate(clientId: string): Promise<ClientRecord | undefined>;
  replace(metadata: ClientMetadata): Promise<boolean>;
  /** Deletes the client and the resource roles it held. */
  delete(clientId: string): Promise<boolean>;
  /** Clients by id or name (case-insensitive substring), grant type and resource, ordered by client id. */
  list(filter: { q?: string; grantType?: string; resource?: string }, page: Paging): Promise<Page<ClientRecord>>;
  /** Ids of the clients that may ask for tokens for a resource. */
  idsListingResource(uri: string): Promise<string[]>;
  /** Grants (user authorisations) issued to a client, for revoking them when it is deleted. */
  grantIdsOf(clientId: string): Promise<string[]>;
}
