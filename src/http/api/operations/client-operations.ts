import {
  authMethodSchema, clientNameSchema, dpopBoundAccessTokensSchema, clientResourceScopesSchema, clientResourcesSchema, clientScopeSchema, defaultResourceSchema, firstPartySchema, grantTypeSchema as grantType, logoutEndsOfflineGrantsSchema, backchannelLogoutUriSchema, backchannelLogoutSessionRequiredSchema,
  grantTypesSchema, postLogoutRedirectUrisSchema, redirectUrisSchema, requirePushedAuthorizationRequestsSchema, tokenExchangeResourcesSchema,
} from '../../../domain/schemas/client-schemas.js';
import { resourceUriSchema as resourceUri } from '../../../domain/schemas/resource-schemas.js';
import type { SchemaType } from '../../../domain/schemas/schema-type.js';
import { ForbiddenError } from '../../../domain/errors.js';
import { API_SCOPES, defineOperation, type ApiOperation } from '../api-operation.js';
import { originOf, type Caller } from '../caller.js';
import type { Services } from '../../../services.js';
import { clientIdSchema, nullable, pageOf, paginationQuery, strictObject, timestamp, type Page } from '../schemas.js';

const clientId = clientIdSchema;

/**
 * A client may be given management-API scopes — or be changed, deleted or have its secret
 * rotated while it holds them — only by a caller who holds them too: otherwise `clients:write`
 * alone would mint (or take over) a service with `users:write` or `audit:read`.
 */
function assertGrantable(caller: Caller, input: { scope?: string; resourceScopes?: string[] }): void {
  const requested = [...(input.scope?.split(' ') ?? []), ...(input.resourceScopes ?? [])];
  const missing = [...new Set(requested.filter((s) => s in API_SCOPES && !caller.scopes.has(s)))];
  if (missing.length) throw new ForbiddenError(`a client can be given only the management-API scopes the caller holds; missing ${missing.join(', ')}`);
}

const writable = {
  clientName: clientNameSchema,
  redirectUris: redirectUrisSchema,
  postLogoutRedirectUris: postLogoutRedirectUrisSchema,
  grantTypes: grantTypesSchema,
  scope: clientScopeSchema,
  resources: clientResourcesSchema,
  resourceScopes: clientResourceScopesSchema,
  defaultResource: defaultResourceSchema,
  tokenEndpointAuthMethod: authMethodSchema,
  requirePushedAuthorizationRequests: requirePushedAuthorizationRequestsSchema,
  dpopBoundAccessTokens: dpopBoundAccessTokensSchema,
  tokenExchangeResources: tokenExchangeResourcesSchema,
  firstParty: firstPartySchema,
  logoutEndsOfflineGrants: logoutEndsOfflineGrantsSchema,
  backchannelLogoutUri: backchannelLogoutUriSchema,
  backchannelLogoutSessionRequired: backchannelLogoutSessionRequiredSchema,
} as const;
const createClientBody = strictObject({ clientId: { ...clientId, description: 'Chosen id; generated when omitted.' }, ...writable });
const updateClientBody = strictObject({ ...writable, defaultResource: nullable(defaultResourceSchema), backchannelLogoutUri: nullable(backchannelLogoutUriSchema) }, [], { minProperties: 1 });

const clientProps = {
  clientId,
  clientName: { type: 'string' },
  redirectUris: { type: 'array', items: { type: 'string' } },
  postLogoutRedirectUris: { type: 'array', items: { type: 'string' } },
  grantTypes: { type: 'array', items: { type: 'string' } },
  scope: { type: 'string', description: 'The OpenID Connect scopes the client may request.' },
  resources: { type: 'array', items: { type: 'string' } },
  resourceScopes: { type: 'array', items: { type: 'string' } },
  defaultResource: { type: 'string' },
  tokenEndpointAuthMethod: { type: 'string' },
  requirePushedAuthorizationRequests: { type: 'boolean', description: 'Authorization requests are accepted only through PAR (RFC 9126).' },
  dpopBoundAccessTokens: { type: 'boolean', description: 'Every access token of the client is DPoP-bound (token requests without a DPoP proof are refused).' },
  tokenExchangeResources: { type: 'array', items: { type: 'string' }, description: 'Resources the client may target by token exchange.' },
  firstParty: { type: 'boolean', description: 'Whether its users skip the consent page.' },
  logoutEndsOfflineGrants: { type: 'boolean', description: 'Whether RP-initiated logout also ends its offline_access grants.' },
  backchannelLogoutUri: { type: 'string', description: 'Where logout tokens are POSTed (Back-Channel Logout 1.0).' },
  backchannelLogoutSessionRequired: { type: 'boolean', description: 'Whether its logout tokens carry `sid`.' },
  registeredDynamically: { type: 'boolean', description: 'Registered by the client itself (RFC 7591 at /reg), not made by an operator. It can change or delete itself with its registration access token (RFC 7592).' },
  secretCount: { type: 'integer', description: 'Secrets accepted now: 2 during a rotation\'s overlap, 0 for public clients. Secrets themselves are never shown again.' },
  previousSecretExpiresAt: { ...timestamp, description: 'When the secret replaced by the last rotation stops being accepted.' },
  createdAt: timestamp,
  updatedAt: timestamp,
};
const clientRequired = [
  'clientId', 'redirectUris', 'postLogoutRedirectUris', 'grantTypes', 'scope', 'resources', 'resourceScopes', 'tokenEndpointAuthMethod', 'tokenExchangeResources', 'firstParty',
  'logoutEndsOfflineGrants', 'backchannelLogoutSessionRequired',
  'requirePushedAuthorizationRequests', 'registeredDynamically', 'secretCount', 'createdAt', 'updatedAt',
] as const;
const clientSchema = strictObject(clientProps, clientRequired);
const secret = { type: 'string', description: 'The client secret. Shown only in this response: store it now.' } as const;
/** The client, plus `clientSecret` when one was just generated. */
const withSecret = strictObject({ ...clientProps, clientSecret: secret }, clientRequired);
const clientParams = strictObject({ clientId }, ['clientId']);

/** /clients: OAuth clients, their settings and secrets. Platform admins and services only; secrets are shown once and stored hashed. */
export function createClientOperations({ clients }: Pick<Services, 'clients'>): ApiOperation[] {
  const location = (id: string) => `/api/v1/clients/${encodeURIComponent(id)}`;
  return [
    defineOperation<Record<string, never>, Page & { q?: string; grantType?: string; resource?: string }>({
      operationId: 'listClients', method: 'get', path: '/clients', tag: 'Clients', summary: 'List clients',
      description: 'Ordered by client id. Never shows secrets.',
      access: { scope: 'clients:read' },
      query: strictObject({
        ...paginationQuery,
        q: { type: 'string', minLength: 1, maxLength: 200, description: 'Substring of the client id or name.' },
        grantType,
        resource: { ...resourceUri, description: 'Only clients that list this resource.' },
      }),
      responses: { 200: { description: 'A page of clients.', schema: pageOf(clientSchema) }, 400: { description: 'An invalid filter, or a `resource` that is not registered.' } },
      async handle({ query: { limit, offset, ...filter } }) {
        return { body: { ...(await clients.list(filter, { limit, offset })), limit, offset } };
      },
    }),
    defineOperation<Record<string, never>, Record<string, never>, SchemaType<typeof createClientBody>>({
      operationId: 'createClient', method: 'post', path: '/clients', tag: 'Clients', summary: 'Create a client',
      description: 'A confidential client gets a generated secret (32 random bytes, base64url), returned once as `clientSecret`; only its hash is stored. '
        + 'The metadata is checked by Gatehouse\'s rules and by oidc-provider\'s own validation; a refusal names the field.',
      access: { scope: 'clients:write' },
      body: createClientBody,
      responses: { 201: { description: 'The client, and its secret if confidential.', schema: withSecret }, 400: { description: 'Invalid metadata; `errors` point at the fields.' }, 409: { description: 'The client id is taken.' } },
      async handle(request) {
        assertGrantable(request.caller, request.body);
        const { client, clientSecret } = await clients.create(originOf(request), request.body);
        return { status: 201, body: { ...client, ...(clientSecret ? { clientSecret } : {}) }, headers: { Location: location(client.clientId) } };
      },
    }),
    defineOperation<{ clientId: string }>({
      operationId: 'getClient', method: 'get', path: '/clients/{clientId}', tag: 'Clients', summary: 'Get a client',
      description: 'Never shows secrets; `secretCount` and `previousSecretExpiresAt` tell where a rotation stands.',
      access: { scope: 'clients:read' },
      params: clientParams,
      responses: { 200: { description: 'The client.', schema: clientSchema }, 404: { description: 'No such client.' } },
      async handle({ params }) {
        return { body: await clients.get(params.clientId) };
      },
    }),
    defineOperation<{ clientId: string }, Record<string, never>, SchemaType<typeof updateClientBody>>({
      operationId: 'updateClient', method: 'patch', path: '/clients/{clientId}', tag: 'Clients', summary: 'Change a client',
      description: 'Fields not given stay. `scope` replaces the OpenID Connect scopes, and the resource scopes when it names any (as does `resourceScopes`); `defaultResource: null` removes the default. '
        + 'Making a public client confidential generates its first secret, returned once; making it public drops its secrets. Applies on this node at once, on others within their client cache time (GATEHOUSE_CLIENT_CACHE_SECONDS, default 5 s).',
      access: { scope: 'clients:write' },
      params: clientParams,
      body: updateClientBody,
      responses: { 200: { description: 'The client after the change (with `clientSecret` only if one was generated).', schema: withSecret }, 400: { description: 'Invalid metadata.' }, 404: { description: 'No such client.' } },
      async handle(request) {
        assertGrantable(request.caller, request.body);
        assertGrantable(request.caller, await clients.get(request.params.clientId));
        const { client, clientSecret } = await clients.update(originOf(request), request.params.clientId, request.body);
        return { body: { ...client, ...(clientSecret ? { clientSecret } : {}) } };
      },
    }),
    defineOperation<{ clientId: string }>({
      operationId: 'deleteClient', method: 'delete', path: '/clients/{clientId}', tag: 'Clients', summary: 'Delete a client',
      description: 'Also deletes the resource roles it held and revokes every grant users gave it: their refresh tokens and the access tokens minted from them stop working. '
        + 'Its client_credentials access tokens (which belong to no grant) stay valid until they expire, at most their resource\'s accessTokenTtl.',
      access: { scope: 'clients:write' },
      params: clientParams,
      responses: { 204: { description: 'Deleted.' }, 404: { description: 'No such client.' } },
      async handle(request) {
        assertGrantable(request.caller, await clients.get(request.params.clientId));
        await clients.remove(originOf(request), request.params.clientId);
        return {};
      },
    }),
    defineOperation<{ clientId: string }>({
      operationId: 'rotateClientSecret', method: 'post', path: '/clients/{clientId}/secret', tag: 'Clients', summary: 'Rotate a client\'s secret',
      description: 'The new secret works at once (on other nodes within their client cache time, default 5 s) and is shown only in this response. The previous one keeps working until `previousSecretExpiresAt` '
        + '(GATEHOUSE_CLIENT_SECRET_OVERLAP_SECONDS, default one day), so the client can be redeployed without an outage.',
      access: { scope: 'clients:write' },
      params: clientParams,
      responses: {
        201: {
          description: 'The new secret.',
          schema: strictObject({ clientId, clientSecret: secret, previousSecretExpiresAt: { ...timestamp, description: 'When the previous secret stops working (absent if there was none).' } }, ['clientId', 'clientSecret']),
        },
        404: { description: 'No such client.' },
        409: { description: 'A public client has no secret.' },
      },
      async handle(request) {
        // Whoever could rotate a client's secret could act as it: only callers holding its management scopes may.
        assertGrantable(request.caller, await clients.get(request.params.clientId));
        const rotated = await clients.rotateSecret(originOf(request), request.params.clientId);
        return {
          status: 201,
          body: { clientId: rotated.clientId, clientSecret: rotated.clientSecret, ...(rotated.previousSecretExpiresAt ? { previousSecretExpiresAt: rotated.previousSecretExpiresAt } : {}) },
        };
      },
    }),
  ];
}
