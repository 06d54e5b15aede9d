import { resourceUriSchema, scopeTokenSchema } from './resource-schemas.js';

/** Fields of an OAuth client, as the management API, the CLI and the import take them. */

/** OAuth client ids (RFC 6749 allows more; Gatehouse keeps them URL-safe). */
export const clientIdSchema = { type: 'string', pattern: '^[A-Za-z0-9._~-]{1,100}$' } as const;

export const clientNameSchema = { type: 'string', minLength: 1, maxLength: 200 } as const;

/** RFC 8628's grant type: a device (a CLI, a shared screen) has a person sign in on another screen. */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** RFC 8693 token exchange: a service trades a user's access token for one for another resource, acting for the user. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', DEVICE_CODE_GRANT, TOKEN_EXCHANGE_GRANT] as const;
export const grantTypeSchema = { enum: GRANT_TYPES } as const;
export const grantTypesSchema = {
  type: 'array', items: grantTypeSchema, uniqueItems: true, minItems: 1,
  description: `Default [authorization_code]. ${DEVICE_CODE_GRANT} (the device authorization grant) needs no redirect URIs; refresh_token needs authorization_code or ${DEVICE_CODE_GRANT}.`,
} as const;

export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'] as const;
export const authMethodSchema = { enum: AUTH_METHODS, description: 'Default client_secret_basic; none makes a public client (PKCE, no secret).' } as const;

const uriListSchema = { type: 'array', items: { type: 'string', format: 'uri', maxLength: 2000 }, uniqueItems: true, maxItems: 50 } as const;
export const redirectUrisSchema = {
  ...uriListSchema, description: 'Absolute https URIs (http only on 127.0.0.1, [::1] or localhost), without fragments. Required for authorization_code.',
} as const;
export const postLogoutRedirectUrisSchema = uriListSchema;

export const clientScopeSchema = {
  type: 'string', maxLength: 2000, pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E ]*$',
  description: 'Space-separated scopes: OpenID Connect scopes (openid profile email labs offline_access) and scopes of the client\'s resources, which are kept as its resource scopes.',
} as const;

export const clientResourcesSchema = {
  type: 'array', items: resourceUriSchema, uniqueItems: true, maxItems: 50, description: 'Resources the client may get tokens for; each must exist.',
} as const;

export const clientResourceScopesSchema = {
  type: 'array', items: scopeTokenSchema, uniqueItems: true, maxItems: 200, description: 'Resource scopes the client may be granted; each must be offered by one of its resources.',
} as const;

export const dpopBoundAccessTokensSchema = {
  type: 'boolean',
  description: 'Every token request of this client must carry a DPoP proof, so all its access tokens are DPoP-bound (RFC 9449 §5.2). Default false: a client may still use DPoP per request.',
} as const;

export const defaultResourceSchema = { ...resourceUriSchema, description: 'The resource a token request naming none gets (one of resources).' } as const;

export const requirePushedAuthorizationRequestsSchema = {
  type: 'boolean',
  description: 'Accept this client\'s authorization requests only through a pushed authorization request (RFC 9126 PAR, POST /request). Needs the authorization_code grant. Default false.',
} as const;

export const tokenExchangeResourcesSchema = {
  type: 'array', items: resourceUriSchema, uniqueItems: true, maxItems: 50,
  description: 'Resources the client may get tokens for by exchanging a user\'s access token (RFC 8693 token exchange grant); each one of resources. Default [].',
} as const;

export const firstPartySchema = {
  type: 'boolean', description: 'A trusted first-party client: its users are not shown the consent page (the grant is still created, recorded and listed). Default false.',
} as const;

export const logoutEndsOfflineGrantsSchema = {
  type: 'boolean',
  description: 'RP-initiated logout also ends this client\'s offline_access grants: after the person logs out, its refresh tokens fail and its access tokens introspect inactive. Default false: offline grants outlive the browser session, as OpenID Connect intends.',
} as const;

export const backchannelLogoutUriSchema = {
  type: 'string', format: 'uri', pattern: '^https?://', maxLength: 2000,
  description: 'OpenID Connect Back-Channel Logout 1.0: where Gatehouse POSTs a logout token when a session the client took part in ends (RP-initiated logout, a session ended through the API, the user blocked, deleted or given a new password).',
} as const;

export const backchannelLogoutSessionRequiredSchema = {
  type: 'boolean', description: 'Logout tokens to this client carry `sid` (the session id its ID tokens carry). Default false (they always carry `sub`).',
} as const;
