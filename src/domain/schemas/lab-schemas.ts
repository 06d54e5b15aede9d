import { identifierSchema } from './identifier.js';
import { strictObject } from './strict-object.js';

/** Fields of a lab and of a membership, as the management API, the CLI and the import take them. */

export const labIdSchema = identifierSchema;
export const labNameSchema = { type: 'string', minLength: 1, maxLength: 200 } as const;

export const LAB_STATUSES = ['active', 'suspended'] as const;
export const labStatusSchema = { enum: LAB_STATUSES } as const;

export const MEMBERSHIP_ROLES = ['admin', 'member', 'viewer'] as const;
export const membershipRoleSchema = { enum: MEMBERSHIP_ROLES } as const;

export const MEMBERSHIP_STATUSES = ['active', 'invited', 'suspended'] as const;
export const membershipStatusSchema = { enum: MEMBERSHIP_STATUSES } as const;

/** A new lab (POST /labs). */
export const newLabSchema = strictObject({ id: { ...identifierSchema, description: 'Chosen id; generated when omitted.' }, name: labNameSchema, status: labStatusSchema }, ['name']);
/** A change to a lab (PATCH /labs/{labId}): rename, suspend, restore. */
export const labChangeSchema = strictObject({ name: labNameSchema, status: labStatusSchema }, [], { minProperties: 1 });
/** A new member of a lab (POST /labs/{labId}/members). */
export const newMemberSchema = strictObject({ userId: identifierSchema, role: membershipRoleSchema, status: membershipStatusSchema }, ['userId', 'role']);
/** A change to a membership (PATCH /labs/{labId}/members/{userId}). */
export const memberChangeSchema = strictObject({ role: membershipRoleSchema, status: membershipStatusSchema }, [], { minProperties: 1 });
