import { AppError, NotFoundError, ValidationError } from '../errors.js';
import { OIDC_SCOPES } from '../client-metadata.js';
import type { ChangeOrigin } from '../management/audited-change.js';
import type { ClientInput, ClientManagement, ClientView } from '../management/client-management.js';
import type { LabManagement } from '../management/lab-management.js';
import type { ResourceManagement } from '../management/resource-management.js';
import type { RoleAssignment, RoleManagement } from '../management/role-management.js';
import type { Authority, PreparedPassword, UserChange, UserManagement } from '../management/user-management.js';
import type { ImportDocument } from './import-schema.js';

export type { ImportDocument } from './import-schema.js';

export interface ImportSummary { resources: number; clients: number; labs: number; users: number }

/** The management use cases the import applies a document through: the API's and the CLI's rules. */
export interface ImportUseCases {
  users: UserManagement;
  labs: LabManagement;
  resources: ResourceManagement;
  clients: ClientManagement;
  roles: RoleManagement;
}

export interface ImportDeps {
  /** Replaces a leading `{issuer}` in client resources and role references (e.g. `{issuer}/api`). */
  issuer: string;
  /**
   * Runs `work` with use cases bound to one transaction (each change a savepoint in it, with its
   * audit row): the document applies all or nothing.
   */
  inOneTransaction<T>(work: (useCases: ImportUseCases) => Promise<T>): Promise<T>;
  /** The user use cases outside any transaction: passwords are prepared before it starts. */
  users: Pick<UserManagement, 'findByUsername' | 'passwordMatches' | 'preparePassword'>;
}

type Client = NonNullable<ImportDocument['clients']>[number];
type User = NonNullable<ImportDocument['users']>[number];

/** The import acts as an operator: it may make platform admins and touch anyone. */
const OPERATOR: Authority = { mayGrantAdmin: true };
const oidcScopes = new Set<string>(OIDC_SCOPES);

/**
 * Applies an import document through the management use cases, so it is held to the same rules
 * as the API and the CLI and every change is audited as `origin` (e.g. `import:<file>`).
 * Idempotent: only what differs from the document is changed, so a second run with the same
 * document changes (and records) nothing. What the document leaves out is left as it is: a
 * status an operator set since, a secret rotated since, memberships it does not name.
 */
export function createApplyImport(deps: ImportDeps) {
  return async function applyImport(document: ImportDocument, origin: ChangeOrigin): Promise<ImportSummary> {
    const doc = withIssuer(document, deps.issuer);
    // argon2 is slow: passwords are checked and hashed before the transaction, which would
    // otherwise hold its connection (and the audit log's append lock) through every hash.
    const passwords = new Map<string, PreparedPassword | 'unchanged'>();
    for (const u of doc.users ?? []) {
      if (u.password === undefined) continue;
      const password = u.password;
      await within(`user ${u.username}`, async () => {
        const found = await deps.users.findByUsername(u.username);
        const unchanged = found !== undefined && (await deps.users.passwordMatches(found.id, password));
        passwords.set(u.username, unchanged ? 'unchanged' : await deps.users.preparePassword(password, { username: u.username, email: u.email }));
      });
    }
    await deps.inOneTransaction(async (useCases) => {
      const apply = createSteps(useCases, origin, passwords);
      for (const r of doc.resources ?? []) await within(`resource ${r.uri}`, () => apply.resource(r));
      for (const lab of doc.labs ?? []) await within(`lab ${lab.id}`, () => apply.lab(lab));
      for (const c of doc.clients ?? []) await within(`client ${c.client_id}`, () => apply.client(c));
      for (const u of doc.users ?? []) await within(`user ${u.username}`, () => apply.user(u));
    });
    return {
      resources: doc.resources?.length ?? 0,
      clients: doc.clients?.length ?? 0,
      labs: doc.labs?.length ?? 0,
      users: doc.users?.length ?? 0,
    };
  };
}

function createSteps(useCases: ImportUseCases, origin: ChangeOrigin, passwords: ReadonlyMap<string, PreparedPassword | 'unchanged'>) {
  const { users, labs, resources, clients, roles } = useCases;

  /** Grants the roles the document lists and withdraws the others: the list is the principal's roles. */
  async function reconcileRoles(current: RoleAssignment[], wanted: RoleAssignment[], grant: (r: RoleAssignment) => Promise<unknown>, withdraw: (r: RoleAssignment) => Promise<unknown>) {
    const key = (r: RoleAssignment) => JSON.stringify([r.resource, r.role, r.lab ?? null]);
    const have = new Set(current.map(key));
    const want = new Set(wanted.map(key));
    for (const r of current) if (!want.has(key(r))) await withdraw(r);
    for (const r of wanted) if (!have.has(key(r))) await grant(r);
  }

  /** The prepared password of a user entry; undefined when it has none or it is the current one. */
  const prepared = (username: string): PreparedPassword | undefined => {
    const password = passwords.get(username);
    return password === 'unchanged' ? undefined : password;
  };

  return {
    async resource(r: NonNullable<ImportDocument['resources']>[number]) {
      const existing = await orUndefined(resources.get(r.uri));
      if (!existing) {
        await resources.create(origin, { uri: r.uri, name: r.name, accessTokenTtl: r.access_token_ttl, scopes: r.scopes, roles: r.roles, tokenClaims: r.token_claims });
        return;
      }
      const change = differences(existing, { name: r.name, accessTokenTtl: r.access_token_ttl, scopes: r.scopes, roles: r.roles, tokenClaims: r.token_claims });
      if (change) await resources.update(origin, r.uri, change);
    },

    async lab(lab: NonNullable<ImportDocument['labs']>[number]) {
      const existing = await orUndefined(labs.findLab(lab.id));
      if (!existing) {
        await labs.create(origin, lab);
        return;
      }
      const change = differences(existing, { name: lab.name, ...(lab.status ? { status: lab.status } : {}) });
      if (change) await labs.update(origin, lab.id, change);
    },

    async client(c: Client) {
      const isPublic = c.token_endpoint_auth_method === 'none';
      if (isPublic === (c.client_secret !== undefined)) {
        throw new ValidationError(isPublic ? 'a public client (token_endpoint_auth_method none) must not have a client_secret' : 'a confidential client needs a client_secret', [
          { field: 'client_secret', detail: isPublic ? 'must be omitted for token_endpoint_auth_method none' : 'is required' },
        ]);
      }
      const declared = c.client_secret === undefined ? {} : { secret: c.client_secret };
      const words = c.scope.split(' ').filter(Boolean);
      const input: Omit<ClientInput, 'clientId'> = {
        ...(c.client_name !== undefined ? { clientName: c.client_name } : {}),
        redirectUris: c.redirect_uris,
        postLogoutRedirectUris: c.post_logout_redirect_uris,
        grantTypes: c.grant_types,
        scope: words.filter((s) => oidcScopes.has(s)).join(' '),
        resources: c.resources,
        resourceScopes: words.filter((s) => !oidcScopes.has(s)),
        defaultResource: c.default_resource ?? null,
        tokenEndpointAuthMethod: c.token_endpoint_auth_method,
        requirePushedAuthorizationRequests: c.require_pushed_authorization_requests,
        dpopBoundAccessTokens: c.dpop_bound_access_tokens,
        tokenExchangeResources: c.token_exchange_resources,
        firstParty: c.first_party,
        logoutEndsOfflineGrants: c.logout_ends_offline_grants,
        backchannelLogoutUri: c.backchannel_logout_uri ?? null,
        backchannelLogoutSessionRequired: c.backchannel_logout_session_required,
      };
      const existing = await orUndefined(clients.get(c.client_id));
      if (!existing) {
        const { defaultResource, ...rest } = input;
        await clients.create(origin, { clientId: c.client_id, ...rest, ...(defaultResource ? { defaultResource } : {}) }, declared);
      } else {
        const change = clientDifferences(existing, input);
        const secretChanged = declared.secret !== undefined && !(await clients.isDeclaredSecret(c.client_id, declared.secret));
        if (change || secretChanged) await clients.update(origin, c.client_id, change ?? {}, declared);
      }
      await reconcileRoles(
        await roles.rolesOfClient(c.client_id),
        c.roles,
        (r) => roles.grantToClient(origin, c.client_id, r),
        (r) => roles.withdrawFromClient(origin, c.client_id, r),
      );
    },

    async user(u: User) {
      const found = (await users.list({ username: u.username }, { limit: 1, offset: 0 })).items[0];
      if (found && u.id && found.id !== u.id) throw new AppError('conflict', 409, `exists with id ${found.id}, not ${u.id}`);
      let id: string;
      if (!found) {
        const created = await users.create(origin, {
          ...(u.id ? { id: u.id } : {}), username: u.username, email: u.email, emailVerified: u.email_verified, givenName: u.given_name, familyName: u.family_name,
          password: prepared(u.username), isAdmin: u.admin, ...(u.attributes ? { attributes: u.attributes } : {}),
          labs: u.memberships.map((m) => ({ labId: m.lab, role: m.role, ...(m.status ? { status: m.status } : {}) })),
        }, OPERATOR);
        id = created.id;
        if (u.status === 'blocked') await users.block(origin, id, 'blocked by the import file', OPERATOR);
      } else {
        id = found.id;
        const change = differences(found, {
          ...(u.email !== undefined ? { email: u.email } : {}),
          ...(u.email_verified !== undefined ? { emailVerified: u.email_verified } : {}),
          ...(u.given_name !== undefined ? { givenName: u.given_name } : {}),
          ...(u.family_name !== undefined ? { familyName: u.family_name } : {}),
          isAdmin: u.admin,
          // The file's set replaces the user's: attributes it no longer names are removed (null).
          ...(u.attributes && !sameAttributes(found.attributes, u.attributes)
            ? { attributes: { ...Object.fromEntries(Object.keys(found.attributes).map((k) => [k, null])), ...u.attributes } } : {}),
        } satisfies UserChange);
        if (change) await users.update(origin, id, change, OPERATOR);
        const password = prepared(u.username);
        if (password) await users.setPassword(origin, id, password, OPERATOR);
        if (u.status && u.status !== found.status) {
          if (u.status === 'blocked') await users.block(origin, id, 'blocked by the import file', OPERATOR);
          else await users.restore(origin, id);
        }
        for (const m of u.memberships) {
          const membership = found.labs.find((l) => l.labId === m.lab);
          if (!membership) {
            await labs.addMember(origin, m.lab, { userId: id, role: m.role, ...(m.status ? { status: m.status } : {}) });
            continue;
          }
          const memberChange = differences(membership, { role: m.role, ...(m.status ? { status: m.status } : {}) });
          if (memberChange) await labs.updateMember(origin, m.lab, id, memberChange);
        }
      }
      await reconcileRoles(
        await roles.rolesOfUser(id),
        u.roles,
        (r) => roles.grantToUser(origin, id, r),
        (r) => roles.withdrawFromUser(origin, id, r),
      );
    },
  };
}

/** The fields of `wanted` whose values differ from `current`'s, or undefined when none do. */
function differences<T extends Record<string, unknown>>(current: object, wanted: T): Partial<T> | undefined {
  const changed = Object.entries(wanted).filter(([key, value]) => !sameValue((current as Record<string, unknown>)[key], value));
  return changed.length ? Object.fromEntries(changed) as Partial<T> : undefined;
}

function clientDifferences(current: ClientView, wanted: Omit<ClientInput, 'clientId'>): Omit<ClientInput, 'clientId'> | undefined {
  const { defaultResource, ...rest } = wanted;
  const change: Omit<ClientInput, 'clientId'> = differences(current, rest) ?? {};
  if ((defaultResource ?? undefined) !== current.defaultResource) change.defaultResource = defaultResource ?? null;
  return Object.keys(change).length ? change : undefined;
}

/** Attribute sets compare by name and value, whatever order the database keeps the names in. */
function sameAttributes(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const names = Object.keys(a);
  return names.length === Object.keys(b).length && names.every((name) => name in b && JSON.stringify(a[name]) === JSON.stringify(b[name]));
}

/** Lists compare as sets (the order of scopes or roles in a file means nothing); everything else by value. */
function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    const left = new Set(a.map((v) => JSON.stringify(v)));
    return a.length === b.length && b.every((v) => left.has(JSON.stringify(v)));
  }
  return (a ?? undefined) === (b ?? undefined);
}

async function orUndefined<T>(lookup: Promise<T>): Promise<T | undefined> {
  try {
    return await lookup;
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/** A refusal names the entry it is about: `client portal: …` (the use cases' field errors name the fields). */
async function within(entry: string, step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (error) {
    if (!(error instanceof AppError) || !error.expose) throw error;
    const fields = error instanceof ValidationError
      ? error.fields.filter((e) => !error.message.includes(e.detail)).map((e) => `${e.field} ${e.detail}`)
      : [];
    throw new AppError(error.code, error.status, `${entry}: ${error.message}${fields.length ? ` (${fields.join('; ')})` : ''}`, { cause: error, details: error.details });
  }
}

/** The document with `{issuer}` at the start of resource references replaced by the issuer. */
function withIssuer(doc: ImportDocument, issuer: string): ImportDocument {
  const expand = (uri: string) => (uri.startsWith('{issuer}') ? issuer + uri.slice('{issuer}'.length) : uri);
  const expandRoles = <R extends { resource: string }>(roles: R[]) => roles.map((r) => ({ ...r, resource: expand(r.resource) }));
  return {
    ...doc,
    ...(doc.clients ? {
      clients: doc.clients.map((c) => ({
        ...c, resources: c.resources.map(expand), token_exchange_resources: c.token_exchange_resources.map(expand), roles: expandRoles(c.roles), ...(c.default_resource ? { default_resource: expand(c.default_resource) } : {}),
      })),
    } : {}),
    ...(doc.users ? { users: doc.users.map((u) => ({ ...u, roles: expandRoles(u.roles) })) } : {}),
  };
}
