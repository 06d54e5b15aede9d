import type { Repositories } from '../ports/repositories.js';
import type { DirectoryFilter, DirectoryUser } from '../ports/user-repository.js';
import { ConflictError, DuplicateError, ForbiddenError, NotFoundError, ValidationError, type FieldError } from '../errors.js';
import type { SchemaType } from '../schemas/schema-type.js';
import { USERNAME_PATTERN, type newUserSchema, type registrationSchema, type userChangeSchema } from '../schemas/user-schemas.js';
import type { MembershipStatus } from '../types.js';
import type { AccessTerminator } from '../users/access-terminator.js';
import type { PasswordHasher } from '../users/password-hasher.js';
import type { PasswordPolicy } from '../users/password-policy.js';
import { randomIds, type IdGenerator } from '../ports/id-generator.js';
import type { Paging } from '../ports/paging.js';
import type { AuditedChange, ChangeOrigin } from './audited-change.js';
import { describeRoles } from './role-management.js';
import { mergeAttributes, noUserAttributes, type UserAttributeSchema } from '../claims/user-attributes.js';

const usernameRegExp = new RegExp(USERNAME_PATTERN);

/** What a caller may do beyond the operation's scope. */
export interface Authority {
  /** The lab a lab admin is confined to; undefined for platform admins, services and the CLI. */
  confinedTo?: string;
  /** Whether the caller may make (or unmake) platform admins: platform admins and operators. */
  mayGrantAdmin: boolean;
  /** The caller's own user id when a person: nobody blocks, deletes or demotes themselves. */
  selfId?: string;
}

const PREPARED = Symbol('preparedPassword');

/**
 * A password already checked against the policy and hashed (see `preparePassword`): lets a caller
 * do the slow argon2 work before a transaction, never while it holds locks.
 */
export interface PreparedPassword { readonly [PREPARED]: string }

const isPrepared = (password: string | PreparedPassword): password is PreparedPassword => typeof password !== 'string';

/** A new user: the API's body (its schema is the one source), plus what only the import sets. */
export type NewUser = Omit<SchemaType<typeof newUserSchema>, 'password'> & {
  /** A chosen subject id (the import's); generated otherwise. The API offers no way to choose one. */
  id?: string;
  password?: string | PreparedPassword;
};

export type UserChange = SchemaType<typeof userChangeSchema>;

export type Registration = SchemaType<typeof registrationSchema>;

/** What lab admins may change about their members: the profile, nothing that grants access. */
const LAB_ADMIN_FIELDS = new Set(['givenName', 'familyName']);

const conflict = (taken: { username: boolean; email: boolean }) => {
  const errors = [
    ...(taken.username ? [{ field: 'username', detail: 'is taken' }] : []),
    ...(taken.email ? [{ field: 'email', detail: 'is taken' }] : []),
  ];
  return new ConflictError(`the ${[taken.username && 'username', taken.email && 'email'].filter(Boolean).join(' and ')} ${errors.length > 1 ? 'are' : 'is'} taken`, { fields: errors });
};

/** A duplicate that slipped past the check (a concurrent insert): the index says which field. */
const conflictFromIndex = (error: unknown): ConflictError | undefined => {
  if (!(error instanceof DuplicateError)) return undefined;
  if (error.field === 'id') return new ConflictError('a user with this id already exists', { fields: [{ field: 'id', detail: 'is taken' }] });
  return conflict({ username: error.field !== 'email', email: error.field === 'email' });
};

/**
 * Users as the management API, self-registration and the CLI manage them: create, change, set
 * passwords, block, restore, delete, search and batch lookups. Every change is audited with its
 * before and after (never a password or hash). A lab admin (`confinedTo`) sees only members of
 * their lab; anyone else answers exactly as an unknown id.
 */
export function createUserManagement(deps: {
  /** Reads outside a change; writes go through `change`, whose repositories are transaction-bound. */
  repos: Repositories;
  change: AuditedChange;
  hasher: PasswordHasher;
  access: AccessTerminator;
  passwordPolicy: PasswordPolicy;
  /** The custom attributes declared in configuration. */
  attributes?: UserAttributeSchema;
  ids?: IdGenerator;
}) {
  const { repos, change, hasher, passwordPolicy } = deps;
  const attributeSchema = deps.attributes ?? noUserAttributes;

  /** A complete attribute set, checked against the declared schemas. */
  function checkedAttributes(attributes: Record<string, unknown>): Record<string, unknown> {
    const errors = attributeSchema.check(attributes);
    if (errors.length) throw new ValidationError('the attributes do not match their declared schemas', errors);
    return attributes;
  }
  const newId = deps.ids ?? randomIds;

  async function find(userId: string, confinedTo?: string): Promise<DirectoryUser> {
    const user = await repos.users.findInDirectory(userId, confinedTo);
    if (!user) throw new NotFoundError('user');
    return user;
  }

  /**
   * A lab admin may only give a first password, and only to an account that is their lab's
   * alone. Replacing an existing password would let them take over an account they merely added
   * to their lab (a self-registered user, say); a platform admin's account, or one that also
   * opens another lab, would reach beyond their lab. Checked inside the change's transaction.
   */
  async function assertLabAdminMaySetPassword(tx: Repositories, userId: string, confinedTo: string): Promise<void> {
    const everywhere = await tx.users.findInDirectory(userId);
    if (!everywhere) throw new NotFoundError('user');
    const hasPassword = Boolean((await tx.users.findByUsername(everywhere.username))?.passwordHash);
    if (everywhere.isAdmin || hasPassword || everywhere.labs.some((l) => l.labId !== confinedTo)) {
      throw new ForbiddenError('lab admins may only set the first password of users who belong to their lab alone; a reset needs a platform admin or a service');
    }
  }

  /** Who may take over a platform admin's account (password, username, email) or lock it out: other platform admins and operators. */
  /**
   * A filter naming a lab, resource or role that does not exist is a mistake (a system name where
   * a resource URI belongs), not a question whose answer is "nobody": 400 naming the filter. A
   * lab admin's other labs read exactly as missing ones.
   */
  async function assertFilterNamesExisting(filter: DirectoryFilter, confinedTo?: string): Promise<void> {
    const errors: FieldError[] = [];
    if (filter.lab !== undefined && ((confinedTo !== undefined && filter.lab !== confinedTo) || !(await repos.labs.find(filter.lab)))) {
      errors.push({ field: 'lab', detail: 'is not a lab' });
    }
    if (filter.role) {
      const { resourceUri, role } = filter.role;
      const resource = await repos.resources.find(resourceUri);
      if (!resource) errors.push({ field: 'resource', detail: 'is not a registered resource' });
      else if (!resource.roles.includes(role)) errors.push({ field: 'role', detail: `is not a role of ${resourceUri} (${describeRoles(resource.roles)})` });
    }
    if (errors.length) throw new ValidationError('the filter names something that does not exist', errors);
  }

  function assertMayTouchAdmin(target: { isAdmin: boolean }, authority: Authority, what: string): void {
    if (target.isAdmin && !authority.mayGrantAdmin) throw new ForbiddenError(`only platform admins may ${what} a platform admin`);
  }

  function assertNotSelf(authority: Authority, userId: string, what: string): void {
    if (authority.selfId === userId) throw new ConflictError(`you cannot ${what} yourself`);
  }

  async function hashChecked(password: string | PreparedPassword, context: { username?: string; email?: string }): Promise<string> {
    if (isPrepared(password)) return password[PREPARED];
    await passwordPolicy.check(password, context);
    return hasher.hash(password);
  }

  return {
    get: find,

    async list(filter: DirectoryFilter, page: Paging, confinedTo?: string): Promise<{ items: DirectoryUser[]; total: number }> {
      await assertFilterNamesExisting(filter, confinedTo);
      if (confinedTo !== undefined) return repos.users.list({ ...filter, lab: confinedTo }, page, confinedTo);
      return repos.users.list(filter, page);
    },

    /** Up to 1,000 users by id in one query; ids not found (or outside a lab admin's lab) come back as unknown. */
    async batch(ids: readonly string[], confinedTo?: string): Promise<{ users: DirectoryUser[]; unknown: string[] }> {
      const users = await repos.users.findManyInDirectory(ids, confinedTo);
      const found = new Set(users.map((u) => u.id));
      return { users, unknown: ids.filter((id) => !found.has(id)) };
    },

    async create(origin: ChangeOrigin, input: NewUser, authority: Authority): Promise<DirectoryUser> {
      if (!usernameRegExp.test(input.username)) throw new ValidationError('the username is invalid', [{ field: 'username', detail: `must match ${USERNAME_PATTERN}` }]);
      if (input.isAdmin && !authority.mayGrantAdmin) throw new ForbiddenError('only platform admins may create platform admins');
      // Attributes may carry what services decide access by (a company id): not a lab admin's to set.
      if (input.attributes && authority.confinedTo !== undefined) throw new ForbiddenError('lab admins may not set attributes');
      const attributes = checkedAttributes(input.attributes ?? {});
      let memberships: Array<{ labId: string; role: string; status?: MembershipStatus }>;
      if (authority.confinedTo !== undefined) {
        if (input.labs) throw new ValidationError('lab admins add the user to their own lab with `membership`', [{ field: 'labs', detail: 'is not for lab admins; give membership' }]);
        if (!input.membership) throw new ValidationError('a lab admin\'s new user joins their lab', [{ field: 'membership', detail: 'is required for lab admins' }]);
        memberships = [{ labId: authority.confinedTo, ...input.membership }];
      } else {
        if (input.membership) throw new ValidationError('membership is for lab admins; give labs', [{ field: 'membership', detail: 'is only for lab admins; give labs' }]);
        memberships = input.labs ?? [];
        const seen = new Set<string>();
        memberships.forEach((m, i) => {
          if (seen.has(m.labId)) throw new ValidationError('a lab is listed twice', [{ field: `labs.${i}.labId`, detail: 'is listed twice' }]);
          seen.add(m.labId);
        });
      }
      // Hashing (tens of ms) happens before the transaction, so no connection waits on it.
      const passwordHash = input.password === undefined ? undefined : await hashChecked(input.password, input);
      const id = input.id ?? newId();

      return change(origin, async (tx, record) => {
        const taken = await tx.users.taken(input);
        if (taken.username || taken.email) throw conflict(taken);
        for (const [i, m] of memberships.entries()) {
          if (!(await tx.labs.find(m.labId))) throw new ValidationError('no such lab', [{ field: `labs.${i}.labId`, detail: 'no such lab' }]);
        }
        try {
          await tx.users.insert({
            // A lab admin cannot vouch for an address: relying parties trust email_verified.
            id, username: input.username, email: input.email, emailVerified: authority.confinedTo === undefined ? input.emailVerified ?? false : false,
            givenName: input.givenName, familyName: input.familyName, isAdmin: input.isAdmin ?? false, passwordHash, attributes,
          });
        } catch (error) {
          throw conflictFromIndex(error) ?? error;
        }
        for (const m of memberships) await tx.labs.insertMember({ labId: m.labId, userId: id, role: m.role, status: m.status ?? 'active' });
        const after = (await tx.users.findInDirectory(id))!;
        await record('user.created', `user:${id}`, { after });
        return authority.confinedTo === undefined ? after : { ...after, labs: after.labs.filter((l) => l.labId === authority.confinedTo) };
      });
    },

    async update(origin: ChangeOrigin, userId: string, input: UserChange, authority: Authority): Promise<DirectoryUser> {
      const { confinedTo } = authority;
      if (confinedTo !== undefined) {
        const target = await find(userId, confinedTo);
        const refused = Object.keys(input).filter((field) => !LAB_ADMIN_FIELDS.has(field));
        if (refused.length) throw new ForbiddenError(`lab admins may change only ${[...LAB_ADMIN_FIELDS].join(' and ')}, not ${refused.join(', ')}`);
        if (target.isAdmin) throw new ForbiddenError('lab admins may not change platform admins');
      }
      if (input.isAdmin !== undefined && !authority.mayGrantAdmin) throw new ForbiddenError('only platform admins may change isAdmin');
      if (input.isAdmin === false) assertNotSelf(authority, userId, 'remove the admin flag of');
      if (input.username !== undefined && !usernameRegExp.test(input.username)) {
        throw new ValidationError('the username is invalid', [{ field: 'username', detail: `must match ${USERNAME_PATTERN}` }]);
      }

      return change(origin, async (tx, record) => {
        const before = await tx.users.findInDirectory(userId, confinedTo);
        if (!before) throw new NotFoundError('user');
        const wholeBefore = confinedTo === undefined ? before : await tx.users.findInDirectory(userId, undefined);
        if (input.username !== undefined || input.email !== undefined || input.emailVerified !== undefined) assertMayTouchAdmin(before, authority, 'change the sign-in name or email of');
        const taken = await tx.users.taken(input, userId);
        if (taken.username || taken.email) throw conflict(taken);
        const emailChanged = input.email !== undefined && (input.email ?? undefined)?.toLowerCase() !== before.email?.toLowerCase();
        const { attributes: attributeChange, ...profile } = input;
        const attributes = attributeChange ? checkedAttributes(mergeAttributes(before.attributes, attributeChange)) : undefined;
        try {
          // A new address is unverified unless the caller says otherwise.
          await tx.users.update(userId, { ...profile, ...(attributes ? { attributes } : {}), ...(emailChanged && input.emailVerified === undefined ? { emailVerified: false } : {}) });
        } catch (error) {
          throw conflictFromIndex(error) ?? error;
        }
        const after = (await tx.users.findInDirectory(userId, confinedTo))!;
        // The record (audit and event) holds the whole user, every lab's membership: the event
        // of a lab admin's change reaches the user's other labs too, each seeing its own part
        // (eventSeenFromLab); the caller's answer stays confined to their lab.
        const whole = confinedTo === undefined ? { before, after } : { before: wholeBefore, after: await tx.users.findInDirectory(userId, undefined) };
        await record('user.updated', `user:${userId}`, whole);
        return after;
      });
    },

    /** One user by username (case-insensitive), for operators who name people rather than ids. */
    async findByUsername(username: string): Promise<DirectoryUser | undefined> {
      const found = await repos.users.findByUsername(username);
      return found ? repos.users.findInDirectory(found.id) : undefined;
    },

    /** Whether `password` is the user's current one (the import re-sets only a changed password). */
    async passwordMatches(userId: string, password: string): Promise<boolean> {
      const stored = (await repos.users.findByUsername((await find(userId)).username))?.passwordHash;
      return stored !== undefined && hasher.verify(stored, password);
    },

    /**
     * Checks a password against the policy for an account with these names and hashes it, ahead
     * of `create` or `setPassword` (the import prepares every password before its transaction).
     */
    async preparePassword(password: string, context: { username?: string; email?: string }): Promise<PreparedPassword> {
      return { [PREPARED]: await hashChecked(password, context) };
    },

    /**
     * Sets (or replaces) a password; the policy applies and only the fact is audited. The user's
     * browser sessions end (signed in with the old password; their clients get back-channel
     * logout); grants and their tokens stay, as a blocked account's would not.
     */
    async setPassword(origin: ChangeOrigin, userId: string, password: string | PreparedPassword, authority: Authority): Promise<void> {
      const user = await find(userId, authority.confinedTo);
      assertMayTouchAdmin(user, authority, 'set the password of');
      const passwordHash = await hashChecked(password, user);
      await change(origin, async (tx, record) => {
        const current = await tx.users.findById(userId);
        if (!current) throw new NotFoundError('user');
        assertMayTouchAdmin(current, authority, 'set the password of');
        if (authority.confinedTo !== undefined) await assertLabAdminMaySetPassword(tx, userId, authority.confinedTo);
        await tx.users.setPasswordHash(userId, passwordHash);
        await record('user.password_set', `user:${userId}`, {});
      });
      await deps.access.endSessionsOf(userId);
    },

    /**
     * Blocks at once, as `gatehouse users block` does: once the status is committed, every grant
     * is revoked (refresh tokens fail, access tokens introspect inactive) and browser sessions
     * end; login then answers exactly as for a wrong password.
     */
    async block(origin: ChangeOrigin, userId: string, reason: string, authority: Authority): Promise<DirectoryUser> {
      assertNotSelf(authority, userId, 'block');
      const after = await change(origin, async (tx, record) => {
        const before = await tx.users.findInDirectory(userId);
        if (!before) throw new NotFoundError('user');
        assertMayTouchAdmin(before, authority, 'block');
        await tx.users.setStatus(userId, 'blocked', reason);
        const blocked = (await tx.users.findInDirectory(userId))!;
        await record('user.blocked', `user:${userId}`, { reason, before, after: blocked });
        return blocked;
      });
      await deps.access.endAllAccessOf(userId);
      return after;
    },

    /** Lets a blocked user sign in again; nothing that blocking revoked comes back. */
    async restore(origin: ChangeOrigin, userId: string): Promise<DirectoryUser> {
      return change(origin, async (tx, record) => {
        const before = await tx.users.findInDirectory(userId);
        if (!before) throw new NotFoundError('user');
        await tx.users.setStatus(userId, 'active');
        const after = (await tx.users.findInDirectory(userId))!;
        await record('user.restored', `user:${userId}`, { before, after });
        return after;
      });
    },

    /**
     * Deletes the user with their memberships and roles (and its audit row, in one transaction),
     * then ends their access. Should that last step fail, nothing of theirs works anyway: tokens of
     * an account that no longer exists introspect inactive and cannot be refreshed.
     */
    async remove(origin: ChangeOrigin, userId: string, authority: Authority): Promise<void> {
      assertNotSelf(authority, userId, 'delete');
      assertMayTouchAdmin(await find(userId), authority, 'delete');
      await change(origin, async (tx, record) => {
        const user = await tx.users.findInDirectory(userId);
        if (!user) throw new NotFoundError('user');
        const roles = await tx.tenancy.rolesOf('user', userId);
        await tx.tenancy.withdrawAllRoles('user', userId);
        await tx.users.delete(userId);
        await record('user.deleted', `user:${userId}`, { before: { ...user, roles } });
      });
      await deps.access.endAllAccessOf(userId);
    },

    /**
     * Self-registration. A taken username or email is not revealed: the caller gets the same
     * answer as for a new account (the audit log tells the two apart), and the password is hashed
     * either way so the answers take as long.
     */
    async register(origin: ChangeOrigin, input: Registration): Promise<{ created: boolean; userId?: string }> {
      if (!usernameRegExp.test(input.username)) throw new ValidationError('the username is invalid', [{ field: 'username', detail: `must match ${USERNAME_PATTERN}` }]);
      const passwordHash = await hashChecked(input.password, input);
      const id = newId();
      const duplicate = async () => {
        await change(origin, async (tx, record) => {
          const taken = await tx.users.taken(input);
          await record('user.registration_duplicate', `username:${input.username}`, {
            username: input.username, email: input.email, taken: [taken.username && 'username', taken.email && 'email'].filter(Boolean),
          });
        });
        return { created: false };
      };
      try {
        return await change(origin, async (tx, record) => {
          const taken = await tx.users.taken(input);
          if (taken.username || taken.email) throw conflict(taken);
          await tx.users.insert({ id, username: input.username, email: input.email, givenName: input.givenName, familyName: input.familyName, passwordHash });
          const after = (await tx.users.findInDirectory(id))!;
          await record('user.registered', `user:${id}`, { after });
          return { created: true, userId: id };
        });
      } catch (error) {
        if (error instanceof ConflictError || error instanceof DuplicateError) return duplicate();
        throw error;
      }
    },
  };
}

export type UserManagement = ReturnType<typeof createUserManagement>;
export type { DirectoryFilter, DirectoryUser };
