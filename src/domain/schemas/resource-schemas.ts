import { strictObject } from './strict-object.js';
/** Fields of a resource (an API tokens are issued for), as the management API and the import take them. */

/** The RFC 8707 resource indicator: an absolute http(s) URI without a fragment; it becomes the access token's aud. */
export const resourceUriSchema = { type: 'string', format: 'uri', pattern: '^https?://[^#]+$', maxLength: 2000 } as const;

export const resourceNameSchema = { type: 'string', minLength: 1, maxLength: 200 } as const;

export const DEFAULT_ACCESS_TOKEN_TTL = 300;
export const accessTokenTtlSchema = {
  type: 'integer', minimum: 10, maximum: 86400, description: `Seconds an access token for this resource lives (default ${DEFAULT_ACCESS_TOKEN_TTL}).`,
} as const;

/** One OAuth scope token (RFC 6749 §3.3). */
export const scopeTokenSchema = { type: 'string', pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,100}$' } as const;

export const resourceScopesSchema = {
  type: 'array', items: scopeTokenSchema, uniqueItems: true, maxItems: 200, description: 'Scopes clients may request for this resource (not OpenID Connect scopes).',
} as const;

export const roleNameSchema = { type: 'string', minLength: 1, maxLength: 100 } as const;

export const resourceRolesSchema = {
  type: 'array', items: roleNameSchema, uniqueItems: true, maxItems: 200, description: 'The resource\'s role catalogue.',
} as const;

/** A resource named in a role assignment (the role's catalogue decides whether it exists). */
export const resourceReferenceSchema = { type: 'string', minLength: 1, maxLength: 2000, description: 'The resource indicator (e.g. https://cms.example).' } as const;

export const tokenClaimsSchema = {
  type: 'array', items: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,63}$' }, uniqueItems: true, maxItems: 64,
  description: 'User claims this resource\'s access tokens carry: any of user_id (the subject again), preferred_username, email, email_verified, name, given_name, family_name, and the custom attributes declared in configuration (userAttributes). Default [].',
} as const;

const resourceFields = { name: resourceNameSchema, accessTokenTtl: accessTokenTtlSchema, scopes: resourceScopesSchema, roles: resourceRolesSchema, tokenClaims: tokenClaimsSchema } as const;
/** A new resource (POST /resources). */
export const newResourceSchema = strictObject({ uri: resourceUriSchema, ...resourceFields }, ['uri', 'name']);
/** A change to a resource (PATCH /resources/{resourceUri}). */
export const resourceChangeSchema = strictObject(resourceFields, [], { minProperties: 1 });
