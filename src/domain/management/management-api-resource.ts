import type { ResourceRepository } from '../ports/resource-repository.js';
import { API_SCOPES } from './api-scopes.js';

/**
 * The management API is a resource like any other: clients that list it (and its scopes) can
 * get tokens for it. Registered (or brought up to date) at start and before imports.
 */
export async function ensureManagementApiResource(resources: ResourceRepository, uri: string): Promise<void> {
  const scopes = Object.keys(API_SCOPES);
  const existing = await resources.find(uri);
  if (existing && existing.scopes.join(' ') === scopes.join(' ')) return;
  await resources.upsert({ uri, name: 'Gatehouse management API', accessTokenTtl: existing?.accessTokenTtl ?? 300, scopes, roles: existing?.roles ?? [] });
}
