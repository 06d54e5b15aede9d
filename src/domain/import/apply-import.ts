import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { createAjv, describeErrors } from '../../config/ajv.js';
import { importSchemaPath } from '../../config/paths.js';
import type { Repositories, Transaction } from '../ports/repositories.js';
import { AppError, ValidationError } from '../errors.js';
import { DEFAULT_RESOURCE_PROPERTY, OIDC_SCOPES, RESOURCE_SCOPES_PROPERTY, RESOURCES_PROPERTY } from '../client-metadata.js';
import {
  CLIENT_SECRET_HASHES_PROPERTY, IMPORTED_SECRET_PROPERTY, hashClientSecret, isPlaceholder, isSecretHashList, unusableSecretPlaceholder,
} from '../clients/client-secret.js';
import type { ResourceRole } from '../types.js';
import type { PasswordHasher } from '../users/password-hasher.js';

interface RoleRef { resource: string; role: string; lab?: string }

export interface ImportDocument {
  resources?: Array<{ uri: string; name: string; access_token_ttl: number; scopes: string[]; roles: string[] }>;
  clients?: Array<{
    client_id: string; client_name?: string; client_secret?: string; redirect_uris: string[]; post_logout_redirect_uris: string[];
    grant_types: string[]; scope: string; resources: string[]; default_resource?: string; token_endpoint_auth_method: string; roles: RoleRef[];
  }>;
  labs?: Array<{ id: string; name: string; status?: 'active' | 'suspended' }>;
  users?: Array<{
    id?: string; username: string; email?: string; email_verified?: boolean; password?: string; given_name?: string; family_name?: string;
    admin: boolean; status?: 'active' | 'blocked';
    memberships: Array<{ lab: string; role: string; status: 'active' | 'invited' | 'suspended' }>; roles: RoleRef[];
  }>;
}

export interface ImportSummary { resources: number; clients: number; labs: number; users: number }

const ajv = createAjv();
const oidcScopes = new Set<string>(OIDC_SCOPES);
const validateDocument = ajv.compile<ImportDocument>(JSON.parse(readFileSync(importSchemaPath, 'utf8')));

/** Parses and validates an import document; errors name each failing field. */
export function parseImportDocument(text: string, source: string): ImportDocument {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw new ValidationError(`${source}: not valid JSON (${(cause as Error).message})`, [{ field: '', detail: 'not valid JSON' }]);
  }
  if (!validateDocument(data)) {
    const lines = describeErrors(validateDocument.errors, data);
    throw new ValidationError(`${source}: ${lines.join('; ')}`, lines.map((l) => ({ field: fieldOfPath(l.split(' = ')[0]!), detail: l })));
  }
  return data;
}

/** `/users/0/email` (a line's path into the document) → the field `users.0.email`; `(root)` → ''. */
function fieldOfPath(path: string): string {
  return path.startsWith('/') ? path.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).join('.') : '';
}

export interface ImportDeps {
  repos: Pick<Repositories, 'users'>;
  transaction: Transaction;
  /** Replaces a leading `{issuer}` in client resources and role references (e.g. `{issuer}/api`). */
  issuer: string;
  hasher: PasswordHasher;
}

/**
 * Applies an import document in one transaction: all of it or none of it. Idempotent: a second
 * run with the same document changes nothing (a password is re-hashed only if it changed).
 */
export function createApplyImport(deps: ImportDeps) {
  return async function applyImport(document: ImportDocument): Promise<ImportSummary> {
    const doc = withIssuer(document, deps.issuer);
    // Hash outside the transaction: argon2 is slow and must not hold a connection.
    const users = deps.repos.users;
    const hashes = new Map<string, string>();
    for (const user of doc.users ?? []) {
      if (user.password === undefined) continue;
      const existing = await users.findByUsername(user.username);
      if (existing?.passwordHash && (await deps.hasher.verify(existing.passwordHash, user.password))) continue;
      hashes.set(user.username, await deps.hasher.hash(user.password));
    }

    await deps.transaction(async (repos) => {
      const labIds = new Set((doc.labs ?? []).map((l) => l.id));
      const resourceUris = new Set((doc.resources ?? []).map((r) => r.uri));

      for (const r of doc.resources ?? []) {
        await repos.resources.upsert({ uri: r.uri, name: r.name, accessTokenTtl: r.access_token_ttl, scopes: r.scopes, roles: r.roles });
      }
      for (const lab of doc.labs ?? []) await repos.tenancy.upsertLab(lab);

      const toRoles = async (refs: RoleRef[], owner: string): Promise<ResourceRole[]> => {
        const roles: ResourceRole[] = [];
        for (const ref of refs) {
          const resource = resourceUris.has(ref.resource) ? { roles: doc.resources!.find((r) => r.uri === ref.resource)!.roles } : await repos.resources.find(ref.resource);
          if (!resource) throw new AppError('import_invalid', 400, `${owner}: unknown resource ${ref.resource}`);
          if (!resource.roles.includes(ref.role)) throw new AppError('import_invalid', 400, `${owner}: role ${ref.role} is not in ${ref.resource}'s catalogue`);
          if (ref.lab && !labIds.has(ref.lab) && !(await repos.tenancy.findLab(ref.lab))) throw new AppError('import_invalid', 400, `${owner}: unknown lab ${ref.lab}`);
          roles.push({ resourceUri: ref.resource, role: ref.role, labId: ref.lab });
        }
        return roles;
      };

      for (const c of doc.clients ?? []) {
        const isPublic = c.token_endpoint_auth_method === 'none';
        if (isPublic === Boolean(c.client_secret)) {
          throw new AppError('import_invalid', 400, `client ${c.client_id}: ${isPublic ? 'a public client (token_endpoint_auth_method none) must not have a client_secret' : 'a confidential client needs a client_secret'}`);
        }
        const scopes = c.scope.split(' ').filter(Boolean);
        if (c.default_resource && !c.resources.includes(c.default_resource)) throw new AppError('import_invalid', 400, `client ${c.client_id}: default_resource must be one of its resources`);
        for (const uri of c.resources) {
          if (!resourceUris.has(uri) && !(await repos.resources.find(uri))) throw new AppError('import_invalid', 400, `client ${c.client_id}: unknown resource ${uri}`);
        }
        await repos.clients.upsert({
          client_id: c.client_id,
          ...(c.client_name ? { client_name: c.client_name } : {}),
          ...(c.client_secret ? secretFields(c.client_secret, await repos.clients.find(c.client_id)) : {}),
          redirect_uris: c.redirect_uris,
          post_logout_redirect_uris: c.post_logout_redirect_uris,
          grant_types: c.grant_types,
          response_types: c.grant_types.includes('authorization_code') ? ['code'] : [],
          ...(scopes.some((s) => oidcScopes.has(s)) ? { scope: scopes.filter((s) => oidcScopes.has(s)).join(' ') } : {}),
          token_endpoint_auth_method: c.token_endpoint_auth_method,
          [RESOURCES_PROPERTY]: c.resources,
          [RESOURCE_SCOPES_PROPERTY]: scopes.filter((s) => !oidcScopes.has(s)),
          ...(c.default_resource ? { [DEFAULT_RESOURCE_PROPERTY]: c.default_resource } : {}),
        });
        await repos.tenancy.replaceResourceRoles('client', c.client_id, await toRoles(c.roles, `client ${c.client_id}`));
      }

      for (const u of doc.users ?? []) {
        const existing = await repos.users.findByUsername(u.username);
        if (existing && u.id && existing.id !== u.id) throw new AppError('import_invalid', 409, `user ${u.username}: exists with id ${existing.id}, not ${u.id}`);
        const id = existing?.id ?? u.id ?? randomUUID();
        const fields = {
          username: u.username,
          email: u.email,
          emailVerified: u.email_verified,
          givenName: u.given_name,
          familyName: u.family_name,
          isAdmin: u.admin,
          passwordHash: hashes.get(u.username),
          status: u.status,
        };
        if (existing) await repos.users.update(id, fields);
        else await repos.users.insert({ id, ...fields });
        for (const m of u.memberships) {
          if (!labIds.has(m.lab) && !(await repos.tenancy.findLab(m.lab))) throw new AppError('import_invalid', 400, `user ${u.username}: unknown lab ${m.lab}`);
          await repos.tenancy.upsertMembership({ labId: m.lab, userId: id, role: m.role, status: m.status });
        }
        await repos.tenancy.replaceResourceRoles('user', id, await toRoles(u.roles, `user ${u.username}`));
      }
    });

    return {
      resources: doc.resources?.length ?? 0,
      clients: doc.clients?.length ?? 0,
      labs: doc.labs?.length ?? 0,
      users: doc.users?.length ?? 0,
    };
  };
}

/**
 * Secrets are stored only as hashes, next to a placeholder `client_secret` that is never
 * accepted (docs/CLIENT-SECRETS.md). A secret the file already set is left alone, with any
 * rotated since through the API: re-importing the same file changes nothing.
 */
function secretFields(secret: string, existing: Record<string, unknown> | undefined): Record<string, unknown> {
  const hash = hashClientSecret(secret);
  const unchanged = existing?.[IMPORTED_SECRET_PROPERTY] === hash && isSecretHashList(existing[CLIENT_SECRET_HASHES_PROPERTY]);
  return {
    client_secret: isPlaceholder(existing?.client_secret) ? existing.client_secret : unusableSecretPlaceholder(),
    [CLIENT_SECRET_HASHES_PROPERTY]: unchanged ? existing[CLIENT_SECRET_HASHES_PROPERTY] : [{ hash, createdAt: new Date().toISOString() }],
    [IMPORTED_SECRET_PROPERTY]: hash,
  };
}

/** The document with `{issuer}` at the start of resource references replaced by the issuer. */
function withIssuer(doc: ImportDocument, issuer: string): ImportDocument {
  const expand = (uri: string) => (uri.startsWith('{issuer}') ? issuer + uri.slice('{issuer}'.length) : uri);
  const expandRoles = (roles: RoleRef[]) => roles.map((r) => ({ ...r, resource: expand(r.resource) }));
  return {
    ...doc,
    clients: doc.clients?.map((c) => ({
      ...c, resources: c.resources.map(expand), roles: expandRoles(c.roles), ...(c.default_resource ? { default_resource: expand(c.default_resource) } : {}),
    })),
    users: doc.users?.map((u) => ({ ...u, roles: expandRoles(u.roles) })),
  };
}
