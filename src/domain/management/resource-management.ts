import type { newResourceSchema, resourceChangeSchema } from '../schemas/resource-schemas.js';
import type { SchemaType } from '../schemas/schema-type.js';
import type { ClientRepository } from '../ports/client-repository.js';
import type { ResourceRecord, ResourceRepository } from '../ports/resource-repository.js';
import { OIDC_SCOPES } from '../client-metadata.js';
import { ConflictError, DuplicateError, NotFoundError, ValidationError } from '../errors.js';
import type { AuditedChange, ChangeOrigin } from './audited-change.js';
import { RESOURCE_SCOPES_PROPERTY } from '../client-metadata.js';
import { STANDARD_TOKEN_CLAIMS } from '../claims/token-claims.js';

export type ResourceInput = SchemaType<typeof newResourceSchema>;
export type ResourceChange = SchemaType<typeof resourceChangeSchema>;

export interface ResourceManagementDeps {
  resources: ResourceRepository;
  clients: ClientRepository;
  change: AuditedChange;
  /** The management API's own resource: Gatehouse keeps it in step with its scopes, so nobody else may change it. */
  apiResource: string;
  /** Custom attributes declared in configuration: claims a resource may choose besides the standard ones. */
  attributeNames?: readonly string[];
}

const DEFAULT_TTL = 300;
const oidcScopes = new Set<string>(OIDC_SCOPES);

/**
 * Resources (APIs tokens are issued for): create, change, delete, every change audited. A
 * resource that clients still list cannot be deleted (409 naming them); role assignments on a
 * deleted resource go with it, and a role still assigned cannot be dropped from its catalogue.
 */
export function createResourceManagement(deps: ResourceManagementDeps) {
  function assertNotManaged(uri: string): void {
    if (uri === deps.apiResource) {
      throw new ConflictError('the management API resource is maintained by Gatehouse itself and cannot be changed or deleted', {
        fields: [{ field: 'resourceUri', detail: 'is the management API resource' }],
      });
    }
  }

  function checkScopes(scopes: string[] | undefined): void {
    const clashes = (scopes ?? []).map((s, i) => [s, i] as const).filter(([s]) => oidcScopes.has(s));
    if (clashes.length) {
      throw new ValidationError('a resource scope may not be an OpenID Connect scope', clashes.map(([s, i]) => ({ field: `scopes.${i}`, detail: `${s} is an OpenID Connect scope` })));
    }
  }

  const claimable = new Set<string>([...STANDARD_TOKEN_CLAIMS, ...(deps.attributeNames ?? [])]);
  function checkTokenClaims(claims: string[] | undefined): void {
    const unknown = (claims ?? []).map((c, i) => [c, i] as const).filter(([c]) => !claimable.has(c));
    if (unknown.length) {
      throw new ValidationError('a token claim is neither a standard user claim nor a declared attribute', unknown.map(([c, i]) => ({
        field: `tokenClaims.${i}`, detail: `${c} is not one of ${[...claimable].join(', ')}`,
      })));
    }
  }

  async function find(uri: string): Promise<ResourceRecord> {
    const resource = await deps.resources.findRecord(uri);
    if (!resource) throw new NotFoundError('resource');
    return resource;
  }

  return {
    get: find,

    list: (filter: { q?: string }, page: { limit: number; offset: number }) => deps.resources.page(filter, page),

    async create(origin: ChangeOrigin, input: ResourceInput): Promise<ResourceRecord> {
      checkScopes(input.scopes);
      checkTokenClaims(input.tokenClaims);
      return deps.change(origin, async (repos, record) => {
        try {
          await repos.resources.insert({ uri: input.uri, name: input.name, accessTokenTtl: input.accessTokenTtl ?? DEFAULT_TTL, scopes: input.scopes ?? [], roles: input.roles ?? [], tokenClaims: input.tokenClaims ?? [] });
        } catch (error) {
          if (error instanceof DuplicateError) throw new ConflictError(`a resource ${input.uri} already exists`, { fields: [{ field: 'uri', detail: 'is taken' }] });
          throw error;
        }
        const after = (await repos.resources.findRecord(input.uri))!;
        await record('resource.created', `resource:${input.uri}`, { after });
        return after;
      });
    },

    /** Changes take effect for new tokens within the provider's 5 s resource cache. */
    async update(origin: ChangeOrigin, uri: string, change: ResourceChange): Promise<ResourceRecord> {
      await find(uri);
      assertNotManaged(uri);
      checkScopes(change.scopes);
      checkTokenClaims(change.tokenClaims);
      return deps.change(origin, async (repos, record) => {
        const before = await repos.resources.findRecord(uri);
        if (!before) throw new NotFoundError('resource');
        if (change.roles) {
          const dropped = before.roles.filter((r) => !change.roles!.includes(r));
          const held = dropped.length ? await repos.resources.roleAssignmentCounts(uri, dropped) : {};
          if (Object.keys(held).length) {
            throw new ConflictError('roles still assigned cannot be removed from the catalogue; withdraw them first', {
              fields: [{ field: 'roles', detail: `still assigned: ${Object.entries(held).map(([r, n]) => `${r} (${n})`).join(', ')}` }],
            });
          }
        }
        if (change.scopes) {
          // A client granted a scope the resource no longer offers could not be changed any more.
          const dropped = before.scopes.filter((sc) => !change.scopes!.includes(sc));
          const holders: string[] = [];
          for (const clientId of dropped.length ? await repos.clients.idsListingResource(uri) : []) {
            const granted = ((await repos.clients.find(clientId))?.[RESOURCE_SCOPES_PROPERTY] as string[] | undefined) ?? [];
            if (granted.some((sc) => dropped.includes(sc))) holders.push(clientId);
          }
          if (holders.length) {
            throw new ConflictError(`clients are still granted scopes this change removes: ${holders.join(', ')}; change them first`, {
              details: { clients: holders }, fields: [{ field: 'scopes', detail: `still granted to ${holders.join(', ')}` }],
            });
          }
        }
        await repos.resources.replace({
          uri, name: change.name ?? before.name, accessTokenTtl: change.accessTokenTtl ?? before.accessTokenTtl, scopes: change.scopes ?? before.scopes, roles: change.roles ?? before.roles,
          tokenClaims: change.tokenClaims ?? before.tokenClaims ?? [],
        });
        const after = (await repos.resources.findRecord(uri))!;
        await record('resource.updated', `resource:${uri}`, { before, after });
        return after;
      });
    },

    /** Refused (409, naming them) while clients list the resource; roles held on it are deleted with it. */
    async remove(origin: ChangeOrigin, uri: string): Promise<void> {
      await find(uri);
      assertNotManaged(uri);
      await deps.change(origin, async (repos, record) => {
        const before = await repos.resources.findRecord(uri);
        if (!before) throw new NotFoundError('resource');
        const clients = await repos.clients.idsListingResource(uri);
        if (clients.length) {
          throw new ConflictError(`clients still list this resource: ${clients.join(', ')}; remove it from them first`, {
            details: { clients }, fields: [{ field: 'resourceUri', detail: `is listed by ${clients.length} client(s)` }],
          });
        }
        const roleAssignments = await repos.resources.roleAssignmentCounts(uri);
        if (!(await repos.resources.delete(uri))) throw new NotFoundError('resource');
        await record('resource.deleted', `resource:${uri}`, { before, removedRoleAssignments: roleAssignments });
      });
    },
  };
}

export type ResourceManagement = ReturnType<typeof createResourceManagement>;
