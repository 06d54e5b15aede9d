import { DuplicateError } from '../../src/domain/errors.js';
import type { Clock } from '../../src/domain/ports/clock.js';
import type { ResourceRepository } from '../../src/domain/ports/resource-repository.js';
import type { Resource } from '../../src/domain/types.js';
import { byKeys, containsText, copy, pageOf, type FakeState, type ResourceRow } from './fake-state.js';

const toResource = ({ uri, name, accessTokenTtl, scopes, roles }: ResourceRow): Resource => copy({ uri, name, accessTokenTtl, scopes, roles });

/** Resources held in FakeState, honouring the ResourceRepository contract. */
export function createFakeResourceRepository(state: FakeState, clock: Clock): ResourceRepository {
  const row = (uri: string) => state.resources.find((r) => r.uri === uri);
  const ordered = () => [...state.resources].sort(byKeys((r) => r.uri));
  const write = (resource: Resource) => copy({ uri: resource.uri, name: resource.name, accessTokenTtl: resource.accessTokenTtl, scopes: resource.scopes, roles: resource.roles });

  return {
    async upsert(resource) {
      const existing = row(resource.uri);
      const now = clock.now();
      if (existing) Object.assign(existing, write(resource), { updatedAt: now });
      else state.resources.push({ ...write(resource), createdAt: now, updatedAt: now });
    },
    async find(uri) {
      const found = row(uri);
      return found ? toResource(found) : undefined;
    },
    async list() {
      return ordered().map(toResource);
    },
    async insert(resource) {
      if (row(resource.uri)) throw new DuplicateError('uri');
      const now = clock.now();
      state.resources.push({ ...write(resource), createdAt: now, updatedAt: now });
    },
    async findRecord(uri) {
      const found = row(uri);
      return found ? copy(found) : undefined;
    },
    async replace(resource) {
      const existing = row(resource.uri);
      if (!existing) return false;
      Object.assign(existing, write(resource), { updatedAt: clock.now() });
      return true;
    },
    async delete(uri) {
      if (!row(uri)) return false;
      state.resources = state.resources.filter((r) => r.uri !== uri);
      // Roles held on the resource go with it (ON DELETE CASCADE).
      state.roles = state.roles.filter((r) => r.resourceUri !== uri);
      return true;
    },
    async page(filter, page) {
      const q = filter.q;
      return pageOf(ordered().filter((r) => !q || containsText(r.uri, q) || containsText(r.name, q)).map((r) => copy(r)), page);
    },
    async roleAssignmentCounts(uri, roles) {
      const counts: Record<string, number> = {};
      for (const r of state.roles) {
        if (r.resourceUri !== uri || (roles && !roles.includes(r.role))) continue;
        counts[r.role] = (counts[r.role] ?? 0) + 1;
      }
      return counts;
    },
  };
}
