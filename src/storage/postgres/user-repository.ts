import type { User, UserWithSecret } from '../../domain/types.js';
import type { Database } from './database.js';

interface UserRow {
  id: string;
  username: string;
  email: string | null;
  email_verified: boolean;
  given_name: string | null;
  family_name: string | null;
  password_hash: string | null;
  status: 'active' | 'blocked';
  blocked_reason?: string | null;
  is_admin: boolean;
  created_at: Date;
  updated_at: Date;
}

function toUser(row: UserRow): UserWithSecret {
  return {
    id: row.id,
    username: row.username,
    email: row.email ?? undefined,
    emailVerified: row.email_verified,
    givenName: row.given_name ?? undefined,
    familyName: row.family_name ?? undefined,
    status: row.status,
    isAdmin: row.is_admin,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    passwordHash: row.password_hash ?? undefined,
  };
}

export interface UserWrite {
  id: string;
  username: string;
  email?: string;
  emailVerified?: boolean;
  givenName?: string;
  familyName?: string;
  isAdmin?: boolean;
  passwordHash?: string;
  status?: 'active' | 'blocked';
}

export function createUserRepository(db: Database) {
  const table = () => db<UserRow>('users');
  return {
    async findById(id: string): Promise<User | undefined> {
      const row = await table().first().where({ id });
      if (!row) return undefined;
      const { passwordHash: _secret, ...user } = toUser(row);
      return user;
    },

    /** By username or email, case-insensitively: what a person types on the login page. */
    async findForLogin(login: string): Promise<UserWithSecret | undefined> {
      const row = await table()
        .first()
        .whereRaw('lower(username) = lower(?)', [login])
        .orWhereRaw('lower(email) = lower(?)', [login]);
      return row ? toUser(row) : undefined;
    },

    async findByUsername(username: string): Promise<UserWithSecret | undefined> {
      const row = await table().first().whereRaw('lower(username) = lower(?)', [username]);
      return row ? toUser(row) : undefined;
    },

    async insert(user: UserWrite): Promise<void> {
      await table().insert(toRow(user));
    },

    async update(id: string, user: Partial<UserWrite>): Promise<void> {
      await table().where({ id }).update({ ...toRow(user), updated_at: db.fn.now() as unknown as Date });
    },

    /** Blocks (with the operator's reason) or restores; false when there is no such user. */
    async setStatus(id: string, status: 'active' | 'blocked', reason?: string): Promise<boolean> {
      const updated = await table().where({ id }).update({ status, blocked_reason: status === 'blocked' ? reason ?? null : null, updated_at: db.fn.now() as unknown as Date } as Partial<UserRow>);
      return updated > 0;
    },

    async setPasswordHash(id: string, passwordHash: string): Promise<void> {
      await table().where({ id }).update({ password_hash: passwordHash, updated_at: db.fn.now() as unknown as Date });
    },
  };
}

function toRow(user: Partial<UserWrite>): Partial<UserRow> {
  const row: Partial<UserRow> = {};
  if (user.id !== undefined) row.id = user.id;
  if (user.username !== undefined) row.username = user.username;
  if (user.email !== undefined) row.email = user.email;
  if (user.emailVerified !== undefined) row.email_verified = user.emailVerified;
  if (user.givenName !== undefined) row.given_name = user.givenName;
  if (user.familyName !== undefined) row.family_name = user.familyName;
  if (user.isAdmin !== undefined) row.is_admin = user.isAdmin;
  if (user.passwordHash !== undefined) row.password_hash = user.passwordHash;
  if (user.status !== undefined) row.status = user.status;
  return row;
}

export type UserRepository = ReturnType<typeof createUserRepository>;
