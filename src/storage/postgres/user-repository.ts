import type { User, UserWithSecret } from '../../domain/types.js';
import type { Factor } from '../../domain/ports/factor-repository.js';
import type { DirectoryFilter, DirectoryUser, UserLab, UserRepository, UserWrite } from '../../domain/ports/user-repository.js';
import { affectedRows } from './affected-rows.js';
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
  attributes: unknown;
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
    attributes: (typeof row.attributes === 'string' ? JSON.parse(row.attributes) : row.attributes ?? {}) as Record<string, unknown>,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    passwordHash: row.password_hash ?? undefined,
  };
}

/** Columns a directory entry reads: everything but the password hash and the block reason. */
const DIRECTORY_COLUMNS = ['u.id', 'u.username', 'u.email', 'u.email_verified', 'u.given_name', 'u.family_name', 'u.status', 'u.is_admin', 'u.attributes', 'u.created_at', 'u.updated_at'];

function toDirectoryUser(row: Record<string, unknown>): DirectoryUser {
  const { passwordHash: _none, ...user } = toUser(row as unknown as UserRow);
  const labs = typeof row.labs === 'string' ? JSON.parse(row.labs) as UserLab[] : (row.labs as UserLab[] | null) ?? [];
  const roles = (typeof row.roles === 'string' ? JSON.parse(row.roles) : row.roles ?? []) as Array<{ resourceUri: string; role: string; labId: string | null }>;
  return { ...user, labs, roles: roles.map((r) => ({ resourceUri: r.resourceUri, role: r.role, ...(r.labId ? { labId: r.labId } : {}) })) };
}

export function createUserRepository(db: Database): UserRepository {
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

    async findForSignIn(login: string) {
      const row = await table()
        .first('users.*', db.raw(`coalesce((SELECT array_agg(DISTINCT f.kind) FROM user_factors f WHERE f.user_id = users.id), '{}') AS factor_kinds`))
        .whereRaw('lower(username) = lower(?)', [login])
        .orWhereRaw('lower(email) = lower(?)', [login]) as (UserRow & { factor_kinds: Array<Factor['kind']> }) | undefined;
      return row ? { ...toUser(row), factorKinds: row.factor_kinds } : undefined;
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

    async delete(id: string): Promise<boolean> {
      return affectedRows(await table().where({ id }).delete()) > 0;
    },

    /** Which of a username and an email are taken (case-insensitively), ignoring user `exceptId`. */
    async taken(fields: { username?: string; email?: string | null }, exceptId?: string): Promise<{ username: boolean; email: boolean }> {
      const rows: Array<{ username: string; email: string | null }> = await table().select('username', 'email').where((q) => {
        if (fields.username) q.orWhereRaw('lower(username) = lower(?)', [fields.username]);
        if (fields.email) q.orWhereRaw('lower(email) = lower(?)', [fields.email]);
        if (!fields.username && !fields.email) q.whereRaw('false');
      }).modify((q) => { if (exceptId) q.whereNot('id', exceptId); });
      const lower = (v: string | null | undefined) => v?.toLowerCase();
      return {
        username: Boolean(fields.username) && rows.some((r) => lower(r.username) === lower(fields.username)),
        email: Boolean(fields.email) && rows.some((r) => lower(r.email) === lower(fields.email)),
      };
    },

    /** One user with their memberships; with `memberOf`, only if a member of that lab, showing only that membership. */
    async findInDirectory(id: string, memberOf?: string): Promise<DirectoryUser | undefined> {
      const row = await directory(memberOf).where('u.id', id).first();
      return row ? toDirectoryUser(row) : undefined;
    },

    /** Many users by id in one query; `memberOf` confines as in findInDirectory. Unknown ids are simply absent. */
    async findManyInDirectory(ids: readonly string[], memberOf?: string): Promise<DirectoryUser[]> {
      if (!ids.length) return [];
      // One array parameter, not one per id: a thousand bindings cost more to send than the query takes.
      const rows = await directory(memberOf).whereRaw('u.id = any(?::text[])', [[...ids]]).orderBy('u.username').orderBy('u.id');
      return rows.map(toDirectoryUser);
    },

    /**
     * Search, filters and the users-by-role lookup, in a stable order (username, id). `memberOf`
     * confines the list to one lab's members and their memberships to that lab.
     */
    async list(filter: DirectoryFilter, page: { limit: number; offset: number }, memberOf?: string): Promise<{ items: DirectoryUser[]; total: number }> {
      const where = (query: ReturnType<Database>) => {
        if (filter.status) query.where('u.status', filter.status);
        if (filter.username) query.whereRaw('lower(u.username) = lower(?)', [filter.username]);
        if (filter.email) query.whereRaw('lower(u.email) = lower(?)', [filter.email]);
        const text = filter.q;
        if (text) {
          query.where((q) => {
            for (const column of ['u.username', 'u.email', 'u.given_name', 'u.family_name']) {
              q.orWhereRaw(`position(lower(?) in lower(coalesce(${column}, ''))) > 0`, [text]);
            }
          });
        }
        for (const lab of new Set([filter.lab, memberOf].filter((l): l is string => l !== undefined))) {
          const member = db('memberships as m').select(db.raw('1')).whereRaw('m.user_id = u.id').where('m.lab_id', lab);
          if (filter.role && lab === filter.lab) member.join('labs as l', 'l.id', 'm.lab_id').where({ 'm.status': 'active', 'l.status': 'active' });
          query.whereExists(member);
        }
        if (filter.role) {
          const held = db('resource_roles as r').select(db.raw('1'))
            .whereRaw('r.principal_id = u.id')
            .where({ 'r.principal_type': 'user', 'r.resource_uri': filter.role.resourceUri, 'r.role': filter.role.role });
          if (filter.lab !== undefined) held.where((q) => q.whereNull('r.lab_id').orWhere('r.lab_id', filter.lab!));
          query.whereExists(held);
        }
        return query;
      };
      // The page and the total in one pass over the filters (a window count), memberships only
      // for the page's rows (the outer query): the filters are the expensive part.
      const matching = where(db('users as u').select(...DIRECTORY_COLUMNS, db.raw('count(*) over () AS total')))
        .orderBy('u.username').orderBy('u.id').limit(page.limit).offset(page.offset);
      const rows = await db.select('u.*', labsOf(memberOf), rolesOf(memberOf)).from(matching.as('u')).orderBy('u.username').orderBy('u.id');
      let total = rows.length ? Number(rows[0].total) : 0;
      if (!rows.length && page.offset > 0) {
        // Past the end: the window had no row to report on.
        const [counted] = await where(db('users as u')).count({ total: '*' }) as Array<{ total: number | string }>;
        total = Number(counted!.total);
      }
      return { items: rows.map(toDirectoryUser), total };
    },
  };

  /** A user's memberships (only the one in `memberOf`, if given) as one JSON column of a query over `u`. */
  function labsOf(memberOf?: string) {
    return db.raw(
      `(SELECT coalesce(json_agg(json_build_object('labId', m.lab_id, 'role', m.role, 'status', m.status) ORDER BY m.lab_id), '[]'::json)
        FROM memberships m WHERE m.user_id = u.id${memberOf === undefined ? '' : ' AND m.lab_id = ?'}) AS labs`,
      memberOf === undefined ? [] : [memberOf],
    );
  }

  /** A user's resource roles (for `memberOf`, global ones and those limited to it) as one JSON column of a query over `u`. */
  function rolesOf(memberOf?: string) {
    return db.raw(
      `(SELECT coalesce(json_agg(json_build_object('resourceUri', r.resource_uri, 'role', r.role, 'labId', r.lab_id) ORDER BY r.resource_uri, r.role, coalesce(r.lab_id, '')), '[]'::json)
        FROM resource_roles r WHERE r.principal_type = 'user' AND r.principal_id = u.id${memberOf === undefined ? '' : ' AND (r.lab_id IS NULL OR r.lab_id = ?)'}) AS roles`,
      memberOf === undefined ? [] : [memberOf],
    );
  }

  /** Users with their memberships and roles as JSON columns: a whole batch is one query. */
  function directory(memberOf?: string) {
    const query = db('users as u').select(...DIRECTORY_COLUMNS, labsOf(memberOf), rolesOf(memberOf));
    if (memberOf !== undefined) query.whereExists(db('memberships as mm').select(db.raw('1')).whereRaw('mm.user_id = u.id').where('mm.lab_id', memberOf));
    return query;
  }
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
  if (user.attributes !== undefined) row.attributes = JSON.stringify(user.attributes);
  return row;
}
