import type { RoleAssignment } from '../../../domain/management/role-management.js';
import { resourceReferenceSchema, roleNameSchema } from '../../../domain/schemas/resource-schemas.js';
import type { SchemaType } from '../../../domain/schemas/schema-type.js';
import { defineOperation, type ApiOperation } from '../api-operation.js';
import { confinedLab, originOf } from '../caller.js';
import type { Services } from '../../../services.js';
import { clientIdSchema, idSchema, strictObject } from '../schemas.js';

const resource = resourceReferenceSchema;
const role = { ...roleNameSchema, description: 'A role from the resource\'s catalogue.' } as const;
const lab = { ...idSchema, description: 'Limit the role to this lab (absent: global). Lab admins: their own lab, which is also the default.' } as const;
const userAssignment = strictObject({ resource, role, lab }, ['resource', 'role']);
const clientAssignment = strictObject({ resource, role }, ['resource', 'role']);

const assignmentSchema = strictObject({ resource: { type: 'string' }, role: { type: 'string' }, lab: idSchema }, ['resource', 'role']);
const assignmentsSchema = {
  type: 'object', required: ['items', 'total'],
  properties: { items: { type: 'array', items: assignmentSchema }, total: { type: 'integer' } },
};
const userParams = strictObject({ userId: idSchema }, ['userId']);
const clientParams = strictObject({ clientId: clientIdSchema }, ['clientId']);

const USER_ROLE_TIMING = 'Roles are read when an access token is minted: a change shows in the user\'s next access token (new login or refresh); tokens already issued keep their roles until they expire, but introspection leaves out a withdrawn role at once.';
const CLIENT_ROLE_TIMING = 'Each node caches a client\'s roles for its client cache time (GATEHOUSE_CLIENT_CACHE_SECONDS, default 5 s): a change shows in client_credentials tokens minted after that, and in introspection answers within the same time; tokens already issued keep their roles until they expire.';

const listed = (items: RoleAssignment[]) => ({ body: { items, total: items.length } });

/** Resource roles of users (/users/{userId}/roles) and of service clients (/clients/{clientId}/roles). */
export function createRoleOperations({ roles }: Pick<Services, 'roles'>): ApiOperation[] {
  return [
    defineOperation<{ userId: string }>({
      operationId: 'listUserRoles', method: 'get', path: '/users/{userId}/roles', tag: 'Roles', summary: 'List a user\'s resource roles',
      description: 'Ordered by resource, role, lab. A lab admin sees (only for members of their lab) the global roles and those limited to their lab.',
      access: { scope: 'users:read', labAdmin: true },
      params: userParams,
      responses: { 200: { description: 'The user\'s roles.', schema: assignmentsSchema }, 404: { description: 'No such user.' } },
      async handle({ caller, params }) {
        return listed(await roles.rolesOfUser(params.userId, confinedLab(caller)));
      },
    }),
    defineOperation<{ userId: string }, Record<string, never>, SchemaType<typeof userAssignment>>({
      operationId: 'grantUserRole', method: 'post', path: '/users/{userId}/roles', tag: 'Roles', summary: 'Grant a user a resource role',
      description: `Idempotent: 201 when granted now, 200 when the user already held exactly this role (nothing is audited then). Lab admins grant only roles limited to their lab, to its members. ${USER_ROLE_TIMING}`,
      access: { scope: 'users:write', labAdmin: true },
      params: userParams,
      body: userAssignment,
      responses: {
        200: { description: 'Already held.', schema: assignmentSchema },
        201: { description: 'Granted.', schema: assignmentSchema },
        400: { description: 'Unknown resource, a role not in its catalogue, or no such lab; `errors` points at the field.' },
        404: { description: 'No such user.' },
      },
      async handle(request) {
        const result = await roles.grantToUser(originOf(request), request.params.userId, request.body, confinedLab(request.caller));
        return { status: result.created ? 201 : 200, body: result.role };
      },
    }),
    defineOperation<{ userId: string }, SchemaType<typeof userAssignment>>({
      operationId: 'withdrawUserRole', method: 'delete', path: '/users/{userId}/roles', tag: 'Roles', summary: 'Withdraw a resource role from a user',
      description: `Without \`lab\`, withdraws the global role (a lab admin: the one limited to their lab). ${USER_ROLE_TIMING}`,
      access: { scope: 'users:write', labAdmin: true },
      params: userParams,
      query: userAssignment,
      responses: { 204: { description: 'Withdrawn.' }, 404: { description: 'No such user, or the user does not hold that role.' } },
      async handle(request) {
        await roles.withdrawFromUser(originOf(request), request.params.userId, request.query, confinedLab(request.caller));
        return {};
      },
    }),
    defineOperation<{ clientId: string }>({
      operationId: 'listClientRoles', method: 'get', path: '/clients/{clientId}/roles', tag: 'Roles', summary: 'List a service client\'s resource roles',
      description: 'Roles a client holds itself, carried in its client_credentials tokens. Ordered by resource, role.',
      access: { scope: 'clients:read' },
      params: clientParams,
      responses: { 200: { description: 'The client\'s roles.', schema: assignmentsSchema }, 404: { description: 'No such client.' } },
      async handle({ params }) {
        return listed(await roles.rolesOfClient(params.clientId));
      },
    }),
    defineOperation<{ clientId: string }, Record<string, never>, SchemaType<typeof clientAssignment>>({
      operationId: 'grantClientRole', method: 'post', path: '/clients/{clientId}/roles', tag: 'Roles', summary: 'Grant a service client a resource role',
      description: `Idempotent: 201 when granted now, 200 when already held. Client roles are global (clients act in no lab). ${CLIENT_ROLE_TIMING}`,
      access: { scope: 'clients:write' },
      params: clientParams,
      body: clientAssignment,
      responses: {
        200: { description: 'Already held.', schema: assignmentSchema },
        201: { description: 'Granted.', schema: assignmentSchema },
        400: { description: 'Unknown resource or a role not in its catalogue.' },
        404: { description: 'No such client.' },
      },
      async handle(request) {
        const result = await roles.grantToClient(originOf(request), request.params.clientId, request.body);
        return { status: result.created ? 201 : 200, body: result.role };
      },
    }),
    defineOperation<{ clientId: string }, SchemaType<typeof clientAssignment>>({
      operationId: 'withdrawClientRole', method: 'delete', path: '/clients/{clientId}/roles', tag: 'Roles', summary: 'Withdraw a resource role from a service client',
      description: CLIENT_ROLE_TIMING,
      access: { scope: 'clients:write' },
      params: clientParams,
      query: clientAssignment,
      responses: { 204: { description: 'Withdrawn.' }, 404: { description: 'No such client, or it does not hold that role.' } },
      async handle(request) {
        await roles.withdrawFromClient(originOf(request), request.params.clientId, request.query);
        return {};
      },
    }),
  ];
}
