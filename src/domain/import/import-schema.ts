import {
  authMethodSchema, clientIdSchema, dpopBoundAccessTokensSchema, clientNameSchema, clientScopeSchema, firstPartySchema, grantTypesSchema, logoutEndsOfflineGrantsSchema, backchannelLogoutUriSchema, backchannelLogoutSessionRequiredSchema, postLogoutRedirectUrisSchema, redirectUrisSchema,
  requirePushedAuthorizationRequestsSchema,
} from '../schemas/client-schemas.js';
import { identifierSchema } from '../schemas/identifier.js';
import { labIdSchema, labNameSchema, labStatusSchema, membershipRoleSchema, membershipStatusSchema } from '../schemas/lab-schemas.js';
import {
  accessTokenTtlSchema, DEFAULT_ACCESS_TOKEN_TTL, resourceNameSchema, resourceRolesSchema, resourceScopesSchema, resourceUriSchema, roleNameSchema, tokenClaimsSchema,
} from '../schemas/resource-schemas.js';
import type { SchemaType } from '../schemas/schema-type.js';
import { strictObject } from '../schemas/strict-object.js';
import { emailSchema, passwordSchema, personNameSchema, userAttributesSchema, usernameSchema, userStatusSchema } from '../schemas/user-schemas.js';

/** A resource as a client or a role names it: a resource indicator, or `{issuer}/…` for one of Gatehouse's own. */
const resourceReference = {
  type: 'string', maxLength: 2000, anyOf: [{ format: 'uri' }, { pattern: '^\\{issuer\\}/' }],
} as const;

const resource = strictObject({
  uri: { ...resourceUriSchema, description: 'The RFC 8707 resource indicator; becomes the access token\'s aud.' },
  name: resourceNameSchema,
  access_token_ttl: { ...accessTokenTtlSchema, default: DEFAULT_ACCESS_TOKEN_TTL },
  scopes: { ...resourceScopesSchema, default: [] },
  roles: { ...resourceRolesSchema, default: [] },
  token_claims: { ...tokenClaimsSchema, default: [] },
}, ['uri', 'name']);

const client = strictObject({
  client_id: clientIdSchema,
  client_name: clientNameSchema,
  client_secret: { type: 'string', minLength: 12, maxLength: 512, description: 'Omit for public clients (token_endpoint_auth_method none). Stored only as a hash.' },
  redirect_uris: { ...redirectUrisSchema, default: [] },
  post_logout_redirect_uris: { ...postLogoutRedirectUrisSchema, default: [] },
  grant_types: { ...grantTypesSchema, default: ['authorization_code'] },
  scope: { ...clientScopeSchema, default: 'openid profile email labs offline_access' },
  resources: {
    type: 'array', items: resourceReference, uniqueItems: true, maxItems: 50, default: [],
    description: 'Resources this client may request tokens for. `{issuer}/api` names the management API.',
  },
  default_resource: {
    ...resourceReference,
    description: 'The resource an access token is for when a request names none (one of resources). Without it, such requests get an opaque token for userinfo.',
  },
  token_endpoint_auth_method: { ...authMethodSchema, default: 'client_secret_basic' },
  require_pushed_authorization_requests: { ...requirePushedAuthorizationRequestsSchema, default: false },
  dpop_bound_access_tokens: { ...dpopBoundAccessTokensSchema, default: false },
  token_exchange_resources: {
    type: 'array', items: resourceReference, uniqueItems: true, maxItems: 50, default: [],
    description: 'Resources this client may get tokens for by exchanging a user\'s access token (grant type urn:ietf:params:oauth:grant-type:token-exchange); each one of resources.',
  },
  first_party: { ...firstPartySchema, default: false },
  logout_ends_offline_grants: { ...logoutEndsOfflineGrantsSchema, default: false },
  backchannel_logout_uri: backchannelLogoutUriSchema,
  backchannel_logout_session_required: { ...backchannelLogoutSessionRequiredSchema, default: false },
  roles: {
    type: 'array', default: [], description: 'Resource roles a service client holds (client_credentials tokens carry them). The list replaces the client\'s roles.',
    items: strictObject({ resource: resourceReference, role: roleNameSchema }, ['resource', 'role']),
  },
}, ['client_id']);

const lab = strictObject({
  id: labIdSchema,
  name: labNameSchema,
  status: { ...labStatusSchema, description: 'Omitted: new labs are active, existing labs keep their status.' },
}, ['id', 'name']);

const user = strictObject({
  id: { ...identifierSchema, description: 'Immutable subject identifier; generated when omitted.' },
  username: usernameSchema,
  email: emailSchema,
  email_verified: { type: 'boolean' },
  password: passwordSchema,
  given_name: personNameSchema,
  family_name: personNameSchema,
  admin: { type: 'boolean', default: false },
  attributes: { ...userAttributesSchema, description: 'Custom attributes declared in configuration (userAttributes). Omitted: left as they are; given: these replace the user\'s attributes.' },
  status: { ...userStatusSchema, description: 'Omitted: new users are active, existing users keep their status (a block made by an operator survives a re-import).' },
  memberships: {
    type: 'array', default: [], description: 'Memberships to create or change; memberships the file does not name are left alone.',
    items: strictObject({
      lab: labIdSchema,
      role: membershipRoleSchema,
      status: { ...membershipStatusSchema, description: 'Omitted: new memberships are active, existing ones keep their status.' },
    }, ['lab', 'role']),
  },
  roles: {
    type: 'array', default: [], description: 'Resource roles; the list replaces the user\'s roles.',
    items: strictObject({ resource: resourceReference, role: roleNameSchema, lab: { ...labIdSchema, description: 'Limit the role to one lab.' } }, ['resource', 'role']),
  },
}, ['username']);

/**
 * The declarative import file, built from the same field schemas as the management API. The
 * JSON copy users point their editors at, config/import.schema.json, is generated from it
 * (`npm run import-schema`; a test fails when it is stale).
 */
export const importSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'gatehouse:import',
  title: 'Gatehouse declarative import',
  description: 'Resources, clients, labs and users applied idempotently by `gatehouse import FILE` or GATEHOUSE_IMPORT at start, through the management API\'s rules and audited. '
    + 'Entries are matched by resource uri, client_id, lab id and username; what the file names is created or updated, what it omits is left alone.',
  ...strictObject({
    resources: { type: 'array', items: resource },
    clients: { type: 'array', items: client },
    labs: { type: 'array', items: lab },
    users: { type: 'array', items: user },
  }),
} as const;

export type ImportDocument = SchemaType<typeof importSchema>;
