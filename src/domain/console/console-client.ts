import { DEFAULT_RESOURCE_PROPERTY, FIRST_PARTY_PROPERTY, LOGOUT_ENDS_OFFLINE_GRANTS_PROPERTY, RESOURCE_SCOPES_PROPERTY, RESOURCES_PROPERTY } from '../client-metadata.js';
import type { ApiScope } from '../management/api-scopes.js';
import type { ClientRepository } from '../ports/client-repository.js';

/** The admin console's own OAuth client: reserved, created (or brought up to date) at every start. */
export const CONSOLE_CLIENT_ID = 'gatehouse-console';

/** Where the console is served, under the issuer; also its one redirect URI (`${issuer}/admin/`). */
export const CONSOLE_PATH = '/admin/';

/**
 * The management scopes the console asks for. The token carries them all; what the person may
 * actually do is the API's decision (platform admin, or admin of the one lab the token acts in),
 * and the console offers only what that allows. `ssf:manage` is a receiver's scope, not an
 * administrator's, so the console never holds it.
 */
export const CONSOLE_SCOPES: readonly ApiScope[] = [
  'users:read', 'users:write', 'users:factors', 'labs:read', 'labs:write', 'clients:read', 'clients:write',
  'audit:read', 'events:read', 'webhooks:read', 'webhooks:write', 'keys:read', 'keys:write',
];

/**
 * Registers the console (a single-page app in the browser) as a public first-party client:
 * authorization code with PKCE to exactly `${issuer}/admin/`, tokens for the management API
 * alone, no consent page. API tokens live minutes, so it asks for `offline_access` to refresh
 * them in place; signing out (RP-initiated logout) ends those grants with the session.
 */
export async function ensureConsoleClient(clients: Pick<ClientRepository, 'upsert'>, options: { issuer: string; apiResource: string }): Promise<void> {
  const home = `${options.issuer}${CONSOLE_PATH}`;
  await clients.upsert({
    client_id: CONSOLE_CLIENT_ID,
    client_name: 'Gatehouse admin console',
    application_type: 'web',
    redirect_uris: [home],
    post_logout_redirect_uris: [home],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    scope: 'openid profile offline_access',
    token_endpoint_auth_method: 'none',
    [RESOURCES_PROPERTY]: [options.apiResource],
    [DEFAULT_RESOURCE_PROPERTY]: options.apiResource,
    [RESOURCE_SCOPES_PROPERTY]: [...CONSOLE_SCOPES],
    [FIRST_PARTY_PROPERTY]: true,
    [LOGOUT_ENDS_OFFLINE_GRANTS_PROPERTY]: true,
  });
}
