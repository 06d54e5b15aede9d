import type { MembershipStatus, ResourceRole, User, UserStatus, UserWithSecret } from '../types.js';
import type { Factor } from './factor-repository.js';
import type { Page, Paging } from './paging.js';

/** The fields a write sets; on update, undefined leaves a field alone and null clears it. */
export interface UserWrite {
  id: string;
  username: string;
  email?: string | null;
  emailVerified?: boolean;
  givenName?: string | null;
  familyName?: string | null;
  isAdmin?: boolean;
  passwordHash?: string;
  status?: UserStatus;
  /** The whole attribute set (already merged and validated). */
  attributes?: Record<string, unknown>;
}

/** One of a user's lab memberships, as directory lookups show it. */
export interface UserLab { labId: string; role: string; status: MembershipStatus }

/**
 * A user as the management API shows them: never a password hash. With their resource roles, so
 * one lookup (or one batch) answers who someone is and what they may do; a lab admin's view
 * holds only global roles and those limited to their lab.
 */
export interface DirectoryUser extends User { labs: UserLab[]; roles: ResourceRole[] }

export interface DirectoryFilter {
  /** Case-insensitive substring of username, email, given or family name. */
  q?: string;
  /** Exact, case-insensitive. */
  username?: string;
  email?: string;
  status?: UserStatus;
  /**
   * Members of this lab (any membership status). With `role`, only active memberships of an
   * active lab count, and only roles held globally or limited to this lab: what a token acting
   * in that lab would carry.
   */
  lab?: string;
  /** Holders of a role on a resource (both or neither). */
  role?: { resourceUri: string; role: string };
}

/**
 * Users and the directory view of them. `insert` and `update` throw DuplicateError (field
 * `username` or `email`) when a case-insensitive duplicate slips past `taken`.
 */
export interface UserRepository {
  findById(id: string): Promise<User | undefined>;
  /** By username or email, case-insensitively: what a person types on the login page. */
  findForLogin(login: string): Promise<UserWithSecret | undefined>;
  /**
   * findForLogin and the kinds of second factor the person has, in one lookup: a password
   * sign-in needs both (whether a second step follows), and a query each cost it a round trip.
   */
  findForSignIn(login: string): Promise<(UserWithSecret & { factorKinds: ReadonlyArray<Factor['kind']> }) | undefined>;
  findByUsername(username: string): Promise<UserWithSecret | undefined>;
  insert(user: UserWrite): Promise<void>;
  update(id: string, user: Partial<UserWrite>): Promise<void>;
  /** Blocks (with the operator's reason) or restores; false when there is no such user. */
  setStatus(id: string, status: UserStatus, reason?: string): Promise<boolean>;
  setPasswordHash(id: string, passwordHash: string): Promise<void>;
  delete(id: string): Promise<boolean>;
  /** Which of a username and an email are taken (case-insensitively), ignoring user `exceptId`. */
  taken(fields: { username?: string; email?: string | null }, exceptId?: string): Promise<{ username: boolean; email: boolean }>;
  /** One user with their memberships; with `memberOf`, only if a member of that lab, showing only that membership. */
  findInDirectory(id: string, memberOf?: string): Promise<DirectoryUser | undefined>;
  /** Many users by id in one query; `memberOf` confines as in findInDirectory. Unknown ids are simply absent. */
  findManyInDirectory(ids: readonly string[], memberOf?: string): Promise<DirectoryUser[]>;
  /**
   * Search, filters and the users-by-role lookup, in a stable order (username, id). `memberOf`
   * confines the list to one lab's members and their memberships to that lab.
   */
  list(filter: DirectoryFilter, page: Paging, memberOf?: string): Promise<Page<DirectoryUser>>;
}
