import type { Resource } from '../types.js';
import type { Page, Paging } from './paging.js';

/** A resource with its row's timestamps, for the management API. */
export interface ResourceRecord extends Resource { createdAt: Date; updatedAt: Date }

/** Resources (APIs). `insert` throws DuplicateError when the URI is taken. */
export interface ResourceRepository {
  upsert(resource: Resource): Promise<void>;
  find(uri: string): Promise<Resource | undefined>;
  list(): Promise<Resource[]>;
  insert(resource: Resource): Promise<void>;
  findRecord(uri: string): Promise<ResourceRecord | undefined>;
  replace(resource: Resource): Promise<boolean>;
  /** Deletes the resource; the roles principals held on it go with it. */
  delete(uri: string): Promise<boolean>;
  /** Resources by URI or name (case-insensitive substring), ordered by URI. */
  page(filter: { q?: string }, page: Paging): Promise<Page<ResourceRecord>>;
  /** How many role assignments (users' and clients') name each of `roles` on the resource. */
  roleAssignmentCounts(uri: string, roles?: string[]): Promise<Record<string, number>>;
}
