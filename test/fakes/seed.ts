import type { ClientMetadata } from '../../src/domain/ports/client-repository.js';
import type { LabStatus, MembershipStatus, Resource } from '../../src/domain/types.js';
import type { FakeStorage } from './fake-storage.js';
import type { RoleRow, UserRow } from './fake-state.js';

/**
 * Rows written straight into a fake's state: the world a test starts from, without going
 * through (and auditing) the use cases under test.
 */
export function createSeeder(storage: FakeStorage) {
  const { state, clock } = storage;
  const stamps = () => ({ createdAt: clock.now(), updatedAt: clock.now() });
  return {
    user(fields: Partial<UserRow> & { username: string }): UserRow {
      const row: UserRow = { id: `u-${fields.username}`, emailVerified: false, isAdmin: false, attributes: {}, status: 'active', ...stamps(), ...fields };
      state.users.push(row);
      return row;
    },
    lab(id: string, fields: { name?: string; status?: LabStatus } = {}) {
      state.labs.push({ id, name: fields.name ?? id, status: fields.status ?? 'active', ...stamps() });
    },
    member(labId: string, userId: string, fields: { role?: string; status?: MembershipStatus } = {}) {
      state.members.push({ labId, userId, role: fields.role ?? 'member', status: fields.status ?? 'active', ...stamps() });
    },
    resource(resource: Partial<Resource> & { uri: string }) {
      state.resources.push({ name: resource.uri, accessTokenTtl: 300, scopes: [], roles: [], ...resource, ...stamps() });
    },
    role(row: Omit<RoleRow, 'principalType'> & { principalType?: RoleRow['principalType'] }) {
      state.roles.push({ principalType: 'user', ...row });
    },
    client(metadata: ClientMetadata) {
      state.clients.push({ metadata, ...stamps() });
    },
    grant(id: string, accountId: string, clientId: string, fields: { labId?: string; createdAt?: Date; expiresAt?: Date } = {}) {
      const createdAt = fields.createdAt ?? clock.now();
      state.grants.push({ id, accountId, clientId, createdAt, lastUsedAt: createdAt, ...(fields.expiresAt ? { expiresAt: fields.expiresAt } : {}) });
      if (fields.labId) state.grantLabs[id] = fields.labId;
    },
  };
}

export type Seeder = ReturnType<typeof createSeeder>;
