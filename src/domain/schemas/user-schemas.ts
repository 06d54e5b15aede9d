/** Fields of a user, as the management API, the CLI and the import take them. */

import { identifierSchema } from './identifier.js';
import { membershipRoleSchema, membershipStatusSchema } from './lab-schemas.js';
import { nullable, strictObject } from './strict-object.js';

/**
 * Letters, digits, dot, underscore and hyphen; no `@`, so a username can never equal someone's
 * email (the login form accepts either).
 */
export const USERNAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$';

export const usernameSchema = {
  type: 'string', pattern: USERNAME_PATTERN, description: 'Letters, digits, `.`, `_` and `-` (no `@`), 1–100 characters; unique regardless of case.',
} as const;

export const emailSchema = { type: 'string', format: 'email', maxLength: 254, description: 'Unique regardless of case.' } as const;

export const personNameSchema = { type: 'string', minLength: 1, maxLength: 100 } as const;

/** The policy (length, common passwords) is the use case's to apply; the schema only bounds the input. */
export const passwordSchema = {
  type: 'string', minLength: 1, maxLength: 1024,
  description: 'At least GATEHOUSE_PASSWORD_MIN_LENGTH (default 12) characters, not on the bundled list of common passwords (compared regardless of case), not the username or email.',
} as const;

export const USER_STATUSES = ['active', 'blocked'] as const;
export const userStatusSchema = { enum: USER_STATUSES } as const;

/** Custom attributes: the configured schema (GATEHOUSE_USER_ATTRIBUTES) decides the names and values; this only bounds the input. */
export const userAttributesSchema = {
  type: 'object', maxProperties: 64,
  description: 'Custom attributes declared in configuration (`userAttributes`), e.g. `{"company_id": "acme"}`; validated against their declared JSON Schemas. Platform admins and services only.',
} as const;

/** A change of attributes: given names are set, `null` removes one, names not given stay. */
export const userAttributesChangeSchema = {
  ...userAttributesSchema,
  description: 'Attributes to set; `null` removes one; attributes not named stay as they are.',
} as const;

/** A new user (POST /users; the CLI's `users create` and the import build the same). */
export const newUserSchema = strictObject({
  username: usernameSchema, email: emailSchema, emailVerified: { type: 'boolean' }, givenName: personNameSchema, familyName: personNameSchema, password: passwordSchema,
  isAdmin: { type: 'boolean', description: 'Platform admin (platform admins only).' },
  labs: {
    type: 'array', maxItems: 100, description: 'Memberships to create (not for lab admins).',
    items: strictObject({ labId: identifierSchema, role: membershipRoleSchema, status: membershipStatusSchema }, ['labId', 'role']),
  },
  membership: strictObject({ role: membershipRoleSchema, status: membershipStatusSchema }, ['role'], { description: 'Lab admins only: the membership in their lab.' }),
  attributes: userAttributesSchema,
}, ['username']);

/** A change to a user's profile (PATCH /users/{userId}); null clears an optional field. */
export const userChangeSchema = strictObject({
  username: usernameSchema, email: nullable(emailSchema), emailVerified: { type: 'boolean' }, givenName: nullable(personNameSchema), familyName: nullable(personNameSchema), isAdmin: { type: 'boolean' },
  attributes: userAttributesChangeSchema,
}, [], { minProperties: 1 });

/** Self-registration (POST /registrations): no lab, no roles. */
export const registrationSchema = strictObject({
  username: usernameSchema, email: emailSchema, password: passwordSchema, givenName: personNameSchema, familyName: personNameSchema,
}, ['username', 'email', 'password']);
