import { RESOURCES_PROPERTY } from '../../src/domain/client-metadata.js';
import { DuplicateError } from '../../src/domain/errors.js';
import type { Clock } from '../../src/domain/ports/clock.js';
import type { ClientRepository } from '../../src/domain/ports/client-repository.js';
import { byKeys, containsText, copy, pageOf, type ClientRow, type FakeState } from './fake-state.js';

const resourcesOf = (row: ClientRow) => (row.metadata[RESOURCES_PROPERTY] as string[] | undefined) ?? [];

/** OAuth clients held in FakeState, honouring the ClientRepository contract. */
export function createFakeClientRepository(state: FakeState, clock: Clock): ClientRepository {
  const row = (clientId: string) => state.clients.find((c) => c.metadata.client_id === clientId);
  const ordered = () => [...state.clients].sort(byKeys((c) => c.metadata.client_id));

  return {
    async upsert(metadata) {
      const existing = row(metadata.client_id);
      const now = clock.now();
      if (existing) Object.assign(existing, { metadata: copy(metadata), updatedAt: now });
      else state.clients.push({ metadata: copy(metadata), createdAt: now, updatedAt: now });
    },
    async find(clientId) {
      const found = row(clientId);
      return found ? copy(found.metadata) : undefined;
    },
    async insert(metadata) {
      if (row(metadata.client_id)) throw new DuplicateError('clientId');
      const now = clock.now();
      state.clients.push({ metadata: copy(metadata), createdAt: now, updatedAt: now });
    },
    async findRecord(clientId) {
      const found = row(clientId);
      return found ? copy(found) : undefined;
    },
    // Transactions in the fake run one at a time, so reading for update is an ordinary read.
    async findForUpdate(clientId) {
      const found = row(clientId);
      return found ? copy(found) : undefined;
    },
    async replace(metadata) {
      const existing = row(metadata.client_id);
      if (!existing) return false;
      Object.assign(existing, { metadata: copy(metadata), updatedAt: clock.now() });
      return true;
    },
    async delete(clientId) {
      state.roles = state.roles.filter((r) => !(r.principalType === 'client' && r.principalId === clientId));
      if (!row(clientId)) return false;
      state.clients = state.clients.filter((c) => c.metadata.client_id !== clientId);
      return true;
    },
    async list(filter, page) {
      const q = filter.q;
      const rows = ordered().filter((c) => (!q || containsText(c.metadata.client_id, q) || containsText(c.metadata.client_name as string | undefined, q))
        && (!filter.grantType || ((c.metadata.grant_types as string[] | undefined) ?? []).includes(filter.grantType))
        && (!filter.resource || resourcesOf(c).includes(filter.resource)));
      return pageOf(rows.map((c) => copy(c)), page);
    },
    async idsListingResource(uri) {
      return ordered().filter((c) => resourcesOf(c).includes(uri)).map((c) => c.metadata.client_id);
    },
    async grantIdsOf(clientId) {
      return state.grants.filter((g) => g.clientId === clientId).map((g) => g.id);
    },
  };
}
