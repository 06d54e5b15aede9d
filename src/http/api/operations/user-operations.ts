import type { Authority } from '../../../domain/management/user-management.js';
import { ValidationError } from '../../../domain/errors.js';
import { membershipRoleSchema, membershipStatusSchema } from '../../../domain/schemas/lab-schemas.js';
import type { SchemaType } from '../../../domain/schemas/schema-type.js';
import { newUserSchema, passwordSchema, userChangeSchema, userStatusSchema } from '../../../domain/schemas/user-schemas.js';
import type { UserStatus } from '../../../domain/types.js';
import { defineOperation, type ApiOperation } from '../api-operation.js';
import { confinedLab, originOf, type Caller } from '../caller.js';
import type { Services } from '../../../services.js';
import { idSchema, pageOf, paginationQuery, strictObject, timestamp, type Page } from '../schemas.js';

export const MAX_BATCH_IDS = 1000;

const memberRole = membershipRoleSchema;
const memberStatus = membershipStatusSchema;
const userStatus = userStatusSchema;

const createUserBody = newUserSchema;
const updateUserBody = userChangeSchema;
const batchBody = strictObject({ ids: { type: 'array', minItems: 1, maxItems: MAX_BATCH_IDS, uniqueItems: true, items: idSchema } }, ['ids']);
const passwordBody = strictObject({ password: passwordSchema }, ['password']);
const blockBody = strictObject({ reason: { type: 'string', minLength: 1, maxLength: 500 } }, ['reason']);

export const userSchema = strictObject({
  id: idSchema, username: { type: 'string' }, email: { type: 'string' }, emailVerified: { type: 'boolean' },
  givenName: { type: 'string' }, familyName: { type: 'string' }, status: userStatus, isAdmin: { type: 'boolean' },
  createdAt: timestamp, updatedAt: timestamp,
  labs: {
    type: 'array', description: 'Memberships (a lab admin sees only the one in their lab).',
    items: strictObject({ labId: idSchema, role: memberRole, status: memberStatus }, ['labId', 'role', 'status']),
  },
  roles: {
    type: 'array', description: 'Resource roles, each global or limited to one lab (a lab admin sees the global ones and those in their lab).',
    items: strictObject({ resourceUri: { type: 'string' }, role: { type: 'string' }, labId: idSchema }, ['resourceUri', 'role']),
  },
  attributes: { type: 'object', description: 'Custom attributes (configuration `userAttributes`).' },
}, ['id', 'username', 'emailVerified', 'status', 'isAdmin', 'createdAt', 'updatedAt', 'labs', 'roles', 'attributes']);

const userParams = strictObject({ userId: idSchema }, ['userId']);

/** How a caller maps onto the domain's notion of authority. */
export function authorityOf(caller: Caller): Authority {
  return {
    confinedTo: confinedLab(caller),
    mayGrantAdmin: caller.kind === 'platform_admin',
    selfId: caller.kind === 'service' ? undefined : caller.userId,
  };
}

interface ListQuery extends Page {
  q?: string; username?: string; email?: string; status?: UserStatus; lab?: string; resource?: string; role?: string;
}

/** /users: directory lookups, user lifecycle and passwords. */
export function createUserOperations({ users, resetFactors }: Pick<Services, 'users' | 'resetFactors'>): ApiOperation[] {

  return [
    defineOperation<Record<string, never>, ListQuery>({
      operationId: 'listUsers', method: 'get', path: '/users', tag: 'Users', summary: 'Search users; find users by resource role',
      description: [
        'Ordered by username, then id. Filters combine with AND.',
        '**Users by resource role** (e.g. round-robin assignment): `resource` and `role` together, usually with `lab` and `status=active`, list every user holding that role on that resource in that lab (held globally or limited to the lab) who also has an *active* membership of that lab, and the lab is active: exactly the users whose tokens for the resource, acting in the lab, carry the role. Without `lab`, every holder of the role, in any lab or globally.',
        'A `lab`, `resource` or `role` that does not exist (a role not in the resource\'s catalogue) is refused with 400 naming the filter, not answered with an empty page.',
        'A lab admin sees only members of their own lab; `lab` naming any other lab is refused exactly as a lab that does not exist.',
      ].join('\n\n'),
      access: { scope: 'users:read', labAdmin: true },
      query: strictObject({
        ...paginationQuery,
        q: { type: 'string', minLength: 1, maxLength: 200, description: 'Substring (any case) of the username, email, given or family name.' },
        username: { type: 'string', minLength: 1, maxLength: 100, description: 'Exact username, any case.' },
        email: { type: 'string', minLength: 1, maxLength: 254, description: 'Exact email, any case.' },
        status: userStatus,
        lab: { ...idSchema, description: 'Members of this lab (any membership status; with `role`, active memberships of an active lab only).' },
        resource: { type: 'string', minLength: 1, maxLength: 2000, description: 'Resource indicator; requires `role`.' },
        role: { type: 'string', minLength: 1, maxLength: 200, description: 'A role of `resource`; requires `resource`.' },
      }),
      responses: {
        200: { description: 'A page of users.', schema: pageOf(userSchema) },
        400: { description: 'An invalid filter, or one naming a lab, resource or role that does not exist; `errors` points at it.' },
      },
      async handle({ caller, query: { limit, offset, resource, role, ...filter } }) {
        if ((resource === undefined) !== (role === undefined)) {
          const missing = resource === undefined ? 'resource' : 'role';
          throw new ValidationError('resource and role go together', [{ field: missing, detail: `is required with ${missing === 'role' ? 'resource' : 'role'}` }]);
        }
        const page = await users.list({ ...filter, ...(resource && role ? { role: { resourceUri: resource, role } } : {}) }, { limit, offset }, confinedLab(caller));
        return { body: { ...page, limit, offset } };
      },
    }),

    defineOperation<Record<string, never>, Record<string, never>, SchemaType<typeof createUserBody>>({
      operationId: 'createUser', method: 'post', path: '/users', tag: 'Users', summary: 'Create a user',
      description: [
        'Platform admins and services may add memberships with `labs`. A lab admin must give `membership` (the role in their lab): their new user joins their lab.',
        'Only platform admins may set `isAdmin: true`. Without `password` the user cannot sign in until one is set.',
        '`attributes` are the custom attributes declared in configuration (`userAttributes`), each checked against its JSON Schema (400 naming `attributes.<name>`); lab admins may not set them.',
      ].join('\n\n'),
      access: { scope: 'users:write', labAdmin: true },
      body: createUserBody,
      responses: {
        201: { description: 'The user.', schema: userSchema },
        400: { description: 'Invalid field, password refused by the policy, or unknown lab.' },
        403: { description: '`isAdmin` from someone other than a platform admin.' },
        409: { description: 'Username or email taken (any case); `errors` points at the field.' },
      },
      async handle(request) {
        const user = await users.create(originOf(request), request.body, authorityOf(request.caller));
        return { status: 201, body: user, headers: { Location: `/api/v1/users/${encodeURIComponent(user.id)}` } };
      },
    }),

    defineOperation<Record<string, never>, Record<string, never>, SchemaType<typeof batchBody>>({
      operationId: 'batchUsers', method: 'post', path: '/users:batch', tag: 'Users', summary: 'Look up many users by id',
      description: `Up to ${MAX_BATCH_IDS} distinct ids in one query, each user with memberships, resource roles and attributes. Ids that match no user come back in \`unknown\` (in request order); for a lab admin so do users outside their lab.`,
      access: { scope: 'users:read', labAdmin: true },
      body: batchBody,
      responses: {
        200: {
          description: 'The users found, ordered by username, and the ids not found.',
          schema: { type: 'object', required: ['users', 'unknown'], properties: { users: { type: 'array', items: userSchema }, unknown: { type: 'array', items: idSchema } } },
        },
      },
      async handle({ caller, body }) {
        return { body: await users.batch(body.ids, confinedLab(caller)) };
      },
    }),

    defineOperation<{ userId: string }>({
      operationId: 'getUser', method: 'get', path: '/users/{userId}', tag: 'Users', summary: 'Get a user',
      access: { scope: 'users:read', labAdmin: true },
      params: userParams,
      responses: { 200: { description: 'The user.', schema: userSchema }, 404: { description: 'No such user (or not a member of the lab admin\'s lab).' } },
      async handle({ caller, params }) {
        return { body: await users.get(params.userId, confinedLab(caller)) };
      },
    }),

    defineOperation<{ userId: string }, Record<string, never>, SchemaType<typeof updateUserBody>>({
      operationId: 'updateUser', method: 'patch', path: '/users/{userId}', tag: 'Users', summary: 'Change a user\'s profile',
      description: 'Lab admins may change only `givenName` and `familyName`, of members of their lab who are not platform admins. Only platform admins change `isAdmin`. A changed email becomes unverified unless `emailVerified` is given. `null` clears an optional field. `attributes` sets the attributes it names (`null` removes one) and keeps the others; the result must match the declared schemas.',
      access: { scope: 'users:write', labAdmin: true },
      params: userParams,
      body: updateUserBody,
      responses: {
        200: { description: 'The user after the change.', schema: userSchema },
        403: { description: 'A field the caller may not change.' },
        404: { description: 'No such user.' },
        409: { description: 'Username or email taken.' },
      },
      async handle(request) {
        return { body: await users.update(originOf(request), request.params.userId, request.body, authorityOf(request.caller)) };
      },
    }),

    defineOperation<{ userId: string }>({
      operationId: 'deleteUser', method: 'delete', path: '/users/{userId}', tag: 'Users', summary: 'Delete a user',
      description: 'Ends all of the user\'s access first (grants revoked, so refresh tokens fail and access tokens introspect inactive; sessions end), then deletes the user with their memberships and roles.',
      access: { scope: 'users:write' },
      params: userParams,
      responses: { 204: { description: 'Deleted.' }, 404: { description: 'No such user.' }, 409: { description: 'An admin deleting themselves.' } },
      async handle(request) {
        await users.remove(originOf(request), request.params.userId, authorityOf(request.caller));
        return {};
      },
    }),

    defineOperation<{ userId: string }, Record<string, never>, SchemaType<typeof passwordBody>>({
      operationId: 'setUserPassword', method: 'put', path: '/users/{userId}/password', tag: 'Users', summary: 'Set a user\'s password',
      description: 'Lab admins may set passwords of users who belong to their lab alone (not of platform admins or of users with other labs). The user\'s browser sessions end (their clients with a back-channel logout URI get a logout token); grants and tokens are left as they are.',
      access: { scope: 'users:write', labAdmin: true },
      params: userParams,
      body: passwordBody,
      responses: {
        204: { description: 'Set.' },
        400: { description: 'Refused by the password policy; `errors` points at `#/body/password`.' },
        403: { description: 'A lab admin and a user who is not theirs alone.' },
        404: { description: 'No such user.' },
      },
      async handle(request) {
        await users.setPassword(originOf(request), request.params.userId, request.body.password, authorityOf(request.caller));
        return {};
      },
    }),

    defineOperation<{ userId: string }>({
      operationId: 'resetUserFactors', method: 'delete', path: '/users/{userId}/factors', tag: 'Users', summary: 'Reset a user\'s second factors',
      description: 'Removes every second factor (authenticator apps, passkeys) and recovery code of a person who lost them, as `gatehouse users reset-factors` does; audited as `factor.reset`. The person enrols again at the next sign-in that needs a factor. Lab admins may reset only users who belong to their lab alone and are not platform admins; users of other labs answer 404.',
      access: { scope: 'users:factors', labAdmin: true },
      params: userParams,
      responses: {
        200: { description: 'How many factors were removed.', schema: strictObject({ removed: { type: 'integer', minimum: 0 } }, ['removed']) },
        403: { description: 'A lab admin and a user who is not theirs alone, or a platform admin.' },
        404: { description: 'No such user (or not a member of the lab admin\'s lab).' },
      },
      async handle(request) {
        return { body: await resetFactors(originOf(request), request.params.userId, authorityOf(request.caller)) };
      },
    }),

    defineOperation<{ userId: string }, Record<string, never>, SchemaType<typeof blockBody>>({
      operationId: 'blockUser', method: 'post', path: '/users/{userId}/block', tag: 'Users', summary: 'Block a user at once',
      description: 'Like `gatehouse users block`: the user\'s grants are revoked (refresh tokens fail, access tokens introspect inactive), browser sessions end, and login is refused exactly as for a wrong password. The reason goes to the audit log.',
      access: { scope: 'users:write' },
      params: userParams,
      body: blockBody,
      responses: { 200: { description: 'The user, blocked.', schema: userSchema }, 404: { description: 'No such user.' }, 409: { description: 'An admin blocking themselves.' } },
      async handle(request) {
        return { body: await users.block(originOf(request), request.params.userId, request.body.reason, authorityOf(request.caller)) };
      },
    }),

    defineOperation<{ userId: string }>({
      operationId: 'restoreUser', method: 'post', path: '/users/{userId}/restore', tag: 'Users', summary: 'Restore a blocked user',
      description: 'The user may sign in again; grants and sessions ended by blocking stay ended.',
      access: { scope: 'users:write' },
      params: userParams,
      responses: { 200: { description: 'The user, active.', schema: userSchema }, 404: { description: 'No such user.' } },
      async handle(request) {
        return { body: await users.restore(originOf(request), request.params.userId) };
      },
    }),
  ];
}
