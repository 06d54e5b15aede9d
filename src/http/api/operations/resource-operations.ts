import type { ResourceRecord } from '../../../domain/ports/resource-repository.js';
import {
  newResourceSchema, resourceChangeSchema, resourceUriSchema as resourceUri,
} from '../../../domain/schemas/resource-schemas.js';
import type { SchemaType } from '../../../domain/schemas/schema-type.js';
import { defineOperation, type ApiOperation } from '../api-operation.js';
import { originOf } from '../caller.js';
import type { Services } from '../../../services.js';
import { pageOf, paginationQuery, strictObject, timestamp, type Page } from '../schemas.js';

const createResourceBody = newResourceSchema;
const updateResourceBody = resourceChangeSchema;

const resourceSchema = strictObject({
  ...newResourceSchema.properties, createdAt: timestamp, updatedAt: timestamp,
}, ['uri', 'name', 'accessTokenTtl', 'scopes', 'roles', 'tokenClaims', 'createdAt', 'updatedAt']);
const resourceParams = strictObject({ resourceUri: { ...resourceUri, description: 'The resource URI, percent-encoded as one path segment.' } }, ['resourceUri']);

/** Shown with ISO timestamps, in a stable field order. */
const show = (r: ResourceRecord) => ({ uri: r.uri, name: r.name, accessTokenTtl: r.accessTokenTtl, scopes: r.scopes, roles: r.roles, tokenClaims: r.tokenClaims ?? [], createdAt: r.createdAt, updatedAt: r.updatedAt });

/** /resources: the APIs tokens are issued for. Platform admins and services only. */
export function createResourceOperations({ resources }: Pick<Services, 'resources'>): ApiOperation[] {
  const location = (uri: string) => `/api/v1/resources/${encodeURIComponent(uri)}`;
  return [
    defineOperation<Record<string, never>, Page & { q?: string }>({
      operationId: 'listResources', method: 'get', path: '/resources', tag: 'Resources', summary: 'List resources',
      description: 'Ordered by URI.',
      access: { scope: 'clients:read' },
      query: strictObject({ ...paginationQuery, q: { type: 'string', minLength: 1, maxLength: 200, description: 'Substring of the URI or name.' } }),
      responses: { 200: { description: 'A page of resources.', schema: pageOf(resourceSchema) } },
      async handle({ query: { limit, offset, ...filter } }) {
        const page = await resources.list(filter, { limit, offset });
        return { body: { items: page.items.map(show), total: page.total, limit, offset } };
      },
    }),
    defineOperation<Record<string, never>, Record<string, never>, SchemaType<typeof createResourceBody>>({
      operationId: 'createResource', method: 'post', path: '/resources', tag: 'Resources', summary: 'Create a resource',
      access: { scope: 'clients:write' },
      body: createResourceBody,
      responses: { 201: { description: 'The resource.', schema: resourceSchema }, 409: { description: 'The URI is taken.' } },
      async handle(request) {
        const created = await resources.create(originOf(request), request.body);
        return { status: 201, body: show(created), headers: { Location: location(created.uri) } };
      },
    }),
    defineOperation<{ resourceUri: string }>({
      operationId: 'getResource', method: 'get', path: '/resources/{resourceUri}', tag: 'Resources', summary: 'Get a resource',
      access: { scope: 'clients:read' },
      params: resourceParams,
      responses: { 200: { description: 'The resource.', schema: resourceSchema }, 404: { description: 'No such resource.' } },
      async handle({ params }) {
        return { body: show(await resources.get(params.resourceUri)) };
      },
    }),
    defineOperation<{ resourceUri: string }, Record<string, never>, SchemaType<typeof updateResourceBody>>({
      operationId: 'updateResource', method: 'patch', path: '/resources/{resourceUri}', tag: 'Resources', summary: 'Change a resource',
      description: 'New tokens follow the change within each node\'s resource cache time (GATEHOUSE_RESOURCE_CACHE_SECONDS, default 5 s). A role still assigned to someone cannot be dropped from the catalogue (409). The management API\'s own resource cannot be changed (409).',
      access: { scope: 'clients:write' },
      params: resourceParams,
      body: updateResourceBody,
      responses: { 200: { description: 'The resource after the change.', schema: resourceSchema }, 404: { description: 'No such resource.' }, 409: { description: 'A dropped role is still assigned, or this is the management API resource.' } },
      async handle(request) {
        return { body: show(await resources.update(originOf(request), request.params.resourceUri, request.body)) };
      },
    }),
    defineOperation<{ resourceUri: string }>({
      operationId: 'deleteResource', method: 'delete', path: '/resources/{resourceUri}', tag: 'Resources', summary: 'Delete a resource',
      description: 'Refused with 409 while clients list the resource (the problem\'s `clients` names them). Roles users and clients held on it are deleted with it (the audit record counts them). The management API\'s own resource cannot be deleted.',
      access: { scope: 'clients:write' },
      params: resourceParams,
      responses: { 204: { description: 'Deleted.' }, 404: { description: 'No such resource.' }, 409: { description: 'Clients still list it, or it is the management API resource.' } },
      async handle(request) {
        await resources.remove(originOf(request), request.params.resourceUri);
        return {};
      },
    }),
  ];
}
