/**
 * Ids Gatehouse hands out or accepts for users and labs: URL-safe, starting with a letter or
 * digit, at most 128 characters.
 */
export const identifierSchema = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$' } as const;
