import { DuplicateError, MissingReferenceError } from '../../src/domain/errors.js';
import type { Clock } from '../../src/domain/ports/clock.js';
import type { LabRecord, LabRepository, MemberRecord } from '../../src/domain/ports/lab-repository.js';
import { byKeys, containsText, copy, pageOf, type FakeState, type LabRow, type MemberRow } from './fake-state.js';

/** Labs and members held in FakeState, honouring the LabRepository contract. */
export function createFakeLabRepository(state: FakeState, clock: Clock): LabRepository {
  const lab = (id: string) => state.labs.find((l) => l.id === id);
  const member = (labId: string, userId: string) => state.members.find((m) => m.labId === labId && m.userId === userId);
  const toLab = (row: LabRow): LabRecord => ({ ...copy(row), memberCount: state.members.filter((m) => m.labId === row.id).length });
  const toMember = (row: MemberRow): MemberRecord => {
    const user = state.users.find((u) => u.id === row.userId)!;
    return { ...copy(row), username: user.username, ...(user.email !== undefined ? { email: user.email } : {}) };
  };

  return {
    async insert({ id, name, status }) {
      if (lab(id)) throw new DuplicateError('id');
      const now = clock.now();
      state.labs.push({ id, name, status: status ?? 'active', createdAt: now, updatedAt: now });
    },
    async find(id) {
      const found = lab(id);
      return found ? toLab(found) : undefined;
    },
    async list(filter, page) {
      const q = filter.q;
      const rows = state.labs
        .filter((l) => (filter.onlyId === undefined || l.id === filter.onlyId) && (!filter.status || l.status === filter.status)
          && (!q || containsText(l.name, q) || containsText(l.id, q)))
        .sort(byKeys((l) => l.name, (l) => l.id));
      return pageOf(rows.map(toLab), page);
    },
    async update(id, change) {
      const found = lab(id);
      if (!found) return false;
      if (change.name !== undefined) found.name = change.name;
      if (change.status !== undefined) found.status = change.status;
      found.updatedAt = clock.now();
      return true;
    },
    async delete(id) {
      if (!lab(id)) return false;
      // Memberships, lab-limited roles and grants' lab choices go with the lab (ON DELETE CASCADE).
      state.labs = state.labs.filter((l) => l.id !== id);
      state.members = state.members.filter((m) => m.labId !== id);
      state.roles = state.roles.filter((r) => r.labId !== id);
      state.grantLabs = Object.fromEntries(Object.entries(state.grantLabs).filter(([, labId]) => labId !== id));
      return true;
    },
    async findMember(labId, userId) {
      const found = member(labId, userId);
      return found ? toMember(found) : undefined;
    },
    async listMembers(labId, filter, page) {
      const rows = state.members
        .filter((m) => m.labId === labId && (!filter.role || m.role === filter.role) && (!filter.status || m.status === filter.status))
        .map(toMember)
        .sort(byKeys((m) => m.username, (m) => m.userId));
      return pageOf(rows, page);
    },
    async insertMember({ labId, userId, role, status }) {
      if (!lab(labId) || !state.users.some((u) => u.id === userId)) throw new MissingReferenceError();
      if (member(labId, userId)) throw new DuplicateError('membership');
      const now = clock.now();
      state.members.push({ labId, userId, role, status, createdAt: now, updatedAt: now });
    },
    async updateMember(labId, userId, change) {
      const found = member(labId, userId);
      if (!found) return false;
      if (change.role !== undefined) found.role = change.role;
      if (change.status !== undefined) found.status = change.status;
      found.updatedAt = clock.now();
      return true;
    },
    async deleteMember(labId, userId) {
      if (!member(labId, userId)) return false;
      state.members = state.members.filter((m) => !(m.labId === labId && m.userId === userId));
      return true;
    },
  };
}
