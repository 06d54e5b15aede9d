/** Fields of a user, as the management API, the CLI and the import take them. */

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
