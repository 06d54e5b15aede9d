import type { User } from '../types.js';

/**
 * User claims a resource may choose for its access tokens (besides custom attributes).
 * `user_id` repeats `sub` for services written against a user service that reads it.
 */
export const STANDARD_TOKEN_CLAIMS = ['user_id', 'preferred_username', 'email', 'email_verified', 'name', 'given_name', 'family_name'] as const;

/**
 * Names a custom attribute may not use: what access tokens already carry
 * (RFC 9068, Gatehouse's lab, role, exchange and binding claims), OIDC session claims and the
 * standard claims a resource may choose.
 */
export const RESERVED_CLAIMS = new Set([
  'iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'client_id', 'scope', 'auth_time', 'acr', 'amr', 'azp', 'nonce', 'sid', 'at_hash', 'c_hash',
  'cnf', 'act', 'may_act', 'grant_id', 'lab_id', 'lab_role', 'roles', 'labs', 'events', 'typ', 'updated_at', ...STANDARD_TOKEN_CLAIMS,
]);

const standard: Record<(typeof STANDARD_TOKEN_CLAIMS)[number], (user: User) => unknown> = {
  user_id: (u) => u.id,
  preferred_username: (u) => u.username,
  email: (u) => u.email,
  email_verified: (u) => (u.email ? u.emailVerified : undefined),
  name: (u) => [u.givenName, u.familyName].filter(Boolean).join(' ') || undefined,
  given_name: (u) => u.givenName,
  family_name: (u) => u.familyName,
};

/** The claims `names` (a resource's choice) for this user; a claim the user has no value for is left out. */
export function userTokenClaims(user: User, names: readonly string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  for (const name of names) {
    const value = name in standard ? standard[name as keyof typeof standard](user) : user.attributes?.[name];
    if (value !== undefined && value !== null) claims[name] = value;
  }
  return claims;
}
