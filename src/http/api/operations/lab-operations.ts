import type { Services } from '../../../services.js';
import { labChangeSchema, labStatusSchema as labStatus, memberChangeSchema, newLabSchema, newMemberSchema, membershipRoleSchema as memberRole, membershipStatusSchema as memberStatus } from '../../../domain/schemas/lab-schemas.js';
import type { SchemaType } from '../../../domain/schemas/schema-type.js';
import type { LabStatus, MembershipStatus } from '../../../domain/types.js';
import { defineOperation, type ApiOperation } from '../api-operation.js';
import { confinedLab, originOf } from '../caller.js';
import { idSchema, pageOf, paginationQuery, strictObject, timestamp, type Page } from '../schemas.js';

const createLabBody = newLabSchema;
const updateLabBody = labChangeSchema;
const addMemberBody = newMemberSchema;
const updateMemberBody = memberChangeSchema;

const labSchema = strictObject({
  id: idSchema, name: { type: 'string' }, status: labStatus, memberCount: { type: 'integer' }, createdAt: timestamp, updatedAt: timestamp,
}, ['id', 'name', 'status', 'memberCount', 'createdAt', 'updatedAt']);
const memberSchema = strictObject({
  labId: idSchema, userId: idSchema, username: { type: 'string' }, email: { type: 'string' }, role: memberRole, status: memberStatus, createdAt: timestamp, updatedAt: timestamp,
}, ['labId', 'userId', 'username', 'role', 'status', 'createdAt', 'updatedAt']);

const labParams = strictObject({ labId: idSchema }, ['labId']);
const memberParams = strictObject({ labId: idSchema, userId: idSchema }, ['labId', 'userId']);

/** /labs and /labs/{labId}/members. Lab admins see and manage only their own lab. */
export function createLabOperations(deps: Pick<Services, 'labs'>): ApiOperation[] {
  const { labs } = deps;
  return [
    defineOperation<Record<string, never>, Page & { q?: string; status?: LabStatus }>({
      operationId: 'listLabs', method: 'get', path: '/labs', tag: 'Labs', summary: 'List labs',
      description: 'Ordered by name, then id. A lab admin sees only their own lab.',
      access: { scope: 'labs:read', labAdmin: true },
      query: strictObject({ ...paginationQuery, q: { type: 'string', minLength: 1, maxLength: 200, description: 'Substring of the name or id.' }, status: labStatus }),
      responses: { 200: { description: 'A page of labs.', schema: pageOf(labSchema) } },
      async handle({ caller, query: { limit, offset, ...filter } }) {
        return { body: { ...(await labs.list(filter, { limit, offset }, confinedLab(caller))), limit, offset } };
      },
    }),
    defineOperation<Record<string, never>, Record<string, never>, SchemaType<typeof createLabBody>>({
      operationId: 'createLab', method: 'post', path: '/labs', tag: 'Labs', summary: 'Create a lab',
      access: { scope: 'labs:write' },
      body: createLabBody,
      responses: { 201: { description: 'The lab.', schema: labSchema }, 409: { description: 'The id is taken.' } },
      async handle(request) {
        const lab = await labs.create(originOf(request), request.body);
        return { status: 201, body: lab, headers: { Location: `/api/v1/labs/${encodeURIComponent(lab.id)}` } };
      },
    }),
    defineOperation<{ labId: string }>({
      operationId: 'getLab', method: 'get', path: '/labs/{labId}', tag: 'Labs', summary: 'Get a lab',
      access: { scope: 'labs:read', labAdmin: true },
      params: labParams,
      responses: { 200: { description: 'The lab.', schema: labSchema }, 404: { description: 'No such lab (or not the lab admin\'s own).' } },
      async handle({ caller, params }) {
        return { body: await labs.findLab(params.labId, confinedLab(caller)) };
      },
    }),
    defineOperation<{ labId: string }, Record<string, never>, SchemaType<typeof updateLabBody>>({
      operationId: 'updateLab', method: 'patch', path: '/labs/{labId}', tag: 'Labs', summary: 'Rename, suspend or reactivate a lab',
      description: 'Suspending a lab makes every token acting in it inactive at introspection, and refreshes and logins into it fail.',
      access: { scope: 'labs:write' },
      params: labParams,
      body: updateLabBody,
      responses: { 200: { description: 'The lab after the change.', schema: labSchema }, 404: { description: 'No such lab.' } },
      async handle(request) {
        return { body: await labs.update(originOf(request), request.params.labId, request.body) };
      },
    }),
    defineOperation<{ labId: string }>({
      operationId: 'deleteLab', method: 'delete', path: '/labs/{labId}', tag: 'Labs', summary: 'Delete a lab with its memberships and lab-limited roles',
      access: { scope: 'labs:write' },
      params: labParams,
      responses: { 204: { description: 'Deleted.' }, 404: { description: 'No such lab.' } },
      async handle(request) {
        await labs.remove(originOf(request), request.params.labId);
        return {};
      },
    }),
    defineOperation<{ labId: string }, Page & { role?: string; status?: MembershipStatus }>({
      operationId: 'listMembers', method: 'get', path: '/labs/{labId}/members', tag: 'Members', summary: 'List a lab\'s members',
      description: 'Ordered by username, then user id.',
      access: { scope: 'labs:read', labAdmin: true },
      params: labParams,
      query: strictObject({ ...paginationQuery, role: memberRole, status: memberStatus }),
      responses: { 200: { description: 'A page of members.', schema: pageOf(memberSchema) }, 404: { description: 'No such lab.' } },
      async handle({ caller, params, query: { limit, offset, ...filter } }) {
        return { body: { ...(await labs.listMembers(params.labId, filter, { limit, offset }, confinedLab(caller))), limit, offset } };
      },
    }),
    defineOperation<{ labId: string }, Record<string, never>, SchemaType<typeof addMemberBody>>({
      operationId: 'addMember', method: 'post', path: '/labs/{labId}/members', tag: 'Members', summary: 'Add a user to a lab',
      access: { scope: 'labs:write', labAdmin: true },
      params: labParams,
      body: addMemberBody,
      responses: { 201: { description: 'The membership.', schema: memberSchema }, 404: { description: 'No such lab or user.' }, 409: { description: 'Already a member.' } },
      async handle(request) {
        const member = await labs.addMember(originOf(request), request.params.labId, request.body, confinedLab(request.caller));
        return { status: 201, body: member };
      },
    }),
    defineOperation<{ labId: string; userId: string }>({
      operationId: 'getMember', method: 'get', path: '/labs/{labId}/members/{userId}', tag: 'Members', summary: 'Get one membership',
      access: { scope: 'labs:read', labAdmin: true },
      params: memberParams,
      responses: { 200: { description: 'The membership.', schema: memberSchema }, 404: { description: 'No such lab or member.' } },
      async handle({ caller, params }) {
        return { body: await labs.findMember(params.labId, params.userId, confinedLab(caller)) };
      },
    }),
    defineOperation<{ labId: string; userId: string }, Record<string, never>, SchemaType<typeof updateMemberBody>>({
      operationId: 'updateMember', method: 'patch', path: '/labs/{labId}/members/{userId}', tag: 'Members', summary: 'Change a member\'s role or status',
      description: 'A suspended membership makes the user\'s tokens for this lab inactive at once; refreshes into it fail.',
      access: { scope: 'labs:write', labAdmin: true },
      params: memberParams,
      body: updateMemberBody,
      responses: { 200: { description: 'The membership after the change.', schema: memberSchema }, 404: { description: 'No such lab or member.' } },
      async handle(request) {
        return { body: await labs.updateMember(originOf(request), request.params.labId, request.params.userId, request.body, confinedLab(request.caller)) };
      },
    }),
    defineOperation<{ labId: string; userId: string }>({
      operationId: 'removeMember', method: 'delete', path: '/labs/{labId}/members/{userId}', tag: 'Members', summary: 'Remove a member from a lab',
      access: { scope: 'labs:write', labAdmin: true },
      params: memberParams,
      responses: { 204: { description: 'Removed.' }, 404: { description: 'No such lab or member.' } },
      async handle(request) {
        await labs.removeMember(originOf(request), request.params.labId, request.params.userId, confinedLab(request.caller));
        return {};
      },
    }),
  ];
}
