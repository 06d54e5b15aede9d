import { identifierSchema } from './identifier.js';

/** Fields of a lab and of a membership, as the management API, the CLI and the import take them. */

export const labIdSchema = identifierSchema;
export const labNameSchema = { type: 'string', minLength: 1, maxLength: 200 } as const;

export const LAB_STATUSES = ['active', 'suspended'] as const;
export const labStatusSchema = { enum: LAB_STATUSES } as const;

export const MEMBERSHIP_ROLES = ['admin', 'member', 'viewer'] as const;
export const membershipRoleSchema = { enum: MEMBERSHIP_ROLES } as const;

export const MEMBERSHIP_STATUSES = ['active', 'invited', 'suspended'] as const;
export const membershipStatusSchema = { enum: MEMBERSHIP_STATUSES } as const;
