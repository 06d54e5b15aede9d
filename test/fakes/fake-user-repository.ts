import { DuplicateError } from '../../src/domain/errors.js';
import type { Clock } from '../../src/domain/ports/clock.js';
import type { DirectoryFilter, DirectoryUser, UserRepository, UserWrite } from '../../src/domain/ports/user-repository.js';
import type { User, UserWithSecret } from '../../src/domain/types.js';
import { byKeys, containsText, copy, lower, pageOf, type FakeState, type UserRow } from './fake-state.js';

const withoutSecret = (row: UserRow): User => {
  const { passwordHash: _hash, blockedReason: _reason, ...user } = copy(row);
  return user;
};

/** UserWrite semantics: undefined leaves a field alone, null clears it. */
function applyWrite(row: UserRow, write: Partial<UserWrite>): void {
  for (const [field, value] of Object.entries(write)) {
    if (value === undefined || field === 'id') continue;
    (row as unknown as Record<string, unknown>)[field] = value === null ? undefined : value;
  }
}

/** Users held in FakeState, honouring the UserRepository contract (case-insensitive uniqueness, stable order). */
export function createFakeUserRepository(state: FakeState, clock: Clock): UserRepository {
  const row = (id: string) => state.users.find((u) => u.id === id);

  /** What the unique indexes (id, lower(username), lower(email)) would refuse. */
  function assertUnique(candidate: { id?: string; username?: string; email?: string | null }, exceptId?: string): void {
    const others = state.users.filter((u) => u.id !== exceptId);
    if (candidate.id !== undefined && exceptId === undefined && others.some((u) => u.id === candidate.id)) throw new DuplicateError('id');
    if (candidate.username !== undefined && others.some((u) => lower(u.username) === lower(candidate.username))) throw new DuplicateError('username');
    if (candidate.email && others.some((u) => u.email !== undefined && lower(u.email) === lower(candidate.email))) throw new DuplicateError('email');
  }

  function directoryEntry(user: UserRow, memberOf?: string): DirectoryUser | undefined {
    const memberships = state.members.filter((m) => m.userId === user.id && (memberOf === undefined || m.labId === memberOf));
    if (memberOf !== undefined && !memberships.length) return undefined;
    const labs = memberships.map((m) => ({ labId: m.labId, role: m.role, status: m.status })).sort(byKeys((l) => l.labId));
    const roles = state.roles
      .filter((r) => r.principalType === 'user' && r.principalId === user.id && (memberOf === undefined || r.labId === undefined || r.labId === memberOf))
      .map((r) => ({ resourceUri: r.resourceUri, role: r.role, ...(r.labId ? { labId: r.labId } : {}) }))
      .sort(byKeys((r) => r.resourceUri, (r) => r.role, (r) => r.labId ?? ''));
    return { ...withoutSecret(user), labs, roles };
  }

  function matches(user: UserRow, filter: DirectoryFilter, memberOf?: string): boolean {
    if (filter.status && user.status !== filter.status) return false;
    if (filter.username !== undefined && lower(user.username) !== lower(filter.username)) return false;
    if (filter.email !== undefined && lower(user.email) !== lower(filter.email)) return false;
    const q = filter.q;
    if (q && ![user.username, user.email, user.givenName, user.familyName].some((v) => containsText(v, q))) return false;
    for (const lab of new Set([filter.lab, memberOf].filter((l): l is string => l !== undefined))) {
      const membership = state.members.find((m) => m.userId === user.id && m.labId === lab);
      if (!membership) return false;
      if (filter.role && lab === filter.lab) {
        const labRow = state.labs.find((l) => l.id === lab);
        if (membership.status !== 'active' || labRow?.status !== 'active') return false;
      }
    }
    if (filter.role) {
      const { resourceUri, role } = filter.role;
      const held = state.roles.some((r) => r.principalType === 'user' && r.principalId === user.id && r.resourceUri === resourceUri && r.role === role
        && (filter.lab === undefined || r.labId === undefined || r.labId === filter.lab));
      if (!held) return false;
    }
    return true;
  }

  const ordered = () => [...state.users].sort(byKeys((u) => u.username, (u) => u.id));

  return {
    async findById(id) {
      const found = row(id);
      return found ? withoutSecret(found) : undefined;
    },
    async findForLogin(login) {
      const found = state.users.find((u) => lower(u.username) === lower(login) || (u.email !== undefined && lower(u.email) === lower(login)));
      return found ? copy(found) as UserWithSecret : undefined;
    },
    async findForSignIn(login) {
      const found = state.users.find((u) => lower(u.username) === lower(login) || (u.email !== undefined && lower(u.email) === lower(login)));
      // The fakes hold no second factors (test/fakes/fake-storage.ts: factors are unsupported).
      return found ? { ...copy(found) as UserWithSecret, factorKinds: [] } : undefined;
    },
    async findByUsername(username) {
      const found = state.users.find((u) => lower(u.username) === lower(username));
      return found ? copy(found) as UserWithSecret : undefined;
    },
    async insert(user) {
      assertUnique(user);
      const now = clock.now();
      const created: UserRow = { id: user.id, username: user.username, emailVerified: false, isAdmin: false, attributes: {}, status: 'active', createdAt: now, updatedAt: now };
      applyWrite(created, user);
      state.users.push(created);
    },
    async update(id, change) {
      const found = row(id);
      if (!found) return;
      assertUnique({ username: change.username, email: change.email }, id);
      applyWrite(found, change);
      found.updatedAt = clock.now();
    },
    async setStatus(id, status, reason) {
      const found = row(id);
      if (!found) return false;
      found.status = status;
      found.blockedReason = status === 'blocked' ? reason : undefined;
      found.updatedAt = clock.now();
      return true;
    },
    async setPasswordHash(id, passwordHash) {
      const found = row(id);
      if (!found) return;
      found.passwordHash = passwordHash;
      found.updatedAt = clock.now();
    },
    async delete(id) {
      const before = state.users.length;
      state.users = state.users.filter((u) => u.id !== id);
      // Memberships reference the user (ON DELETE CASCADE); resource roles do not.
      state.members = state.members.filter((m) => m.userId !== id);
      return state.users.length < before;
    },
    async taken(fields, exceptId) {
      const others = state.users.filter((u) => u.id !== exceptId);
      return {
        username: Boolean(fields.username) && others.some((u) => lower(u.username) === lower(fields.username)),
        email: Boolean(fields.email) && others.some((u) => u.email !== undefined && lower(u.email) === lower(fields.email)),
      };
    },
    async findInDirectory(id, memberOf) {
      const found = row(id);
      return found ? directoryEntry(found, memberOf) : undefined;
    },
    async findManyInDirectory(ids, memberOf) {
      const wanted = new Set(ids);
      return ordered().filter((u) => wanted.has(u.id)).flatMap((u) => directoryEntry(u, memberOf) ?? []);
    },
    async list(filter, page, memberOf) {
      const found = ordered().filter((u) => matches(u, filter, memberOf)).map((u) => directoryEntry(u, memberOf)!);
      return pageOf(found, page);
    },
  };
}
