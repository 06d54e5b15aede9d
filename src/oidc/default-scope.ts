import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';

import { DEFAULT_RESOURCE_PROPERTY, RESOURCE_SCOPES_PROPERTY, RESOURCES_PROPERTY } from '../domain/client-metadata.js';
import type { Resource } from '../domain/types.js';

/**
 * OAuth 2.1 §3.2.2.1: an authorization request may omit `scope`, and the server then either
 * applies a predefined default or fails. Plain OAuth clients (MCP clients among them) send
 * `response_type=code`, PKCE, `resource` and no scope; oidc-provider would grant nothing and
 * end such a request with access_denied after the login. Gatehouse's default is what the client
 * may ask of the requested resources (its resource scopes they offer), so consent shows them and
 * the token carries them; no `openid`, so no ID token.
 *
 * Provider middleware: it rewrites the query of a GET /auth that names no scope, before
 * oidc-provider reads it. A request whose client or resources are unknown is left as it is, for
 * oidc-provider to refuse in its usual way.
 */
export function defaultScopeMiddleware(deps: { provider: () => Provider; findResource: (uri: string) => Promise<Resource | undefined> }) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    if (ctx.method === 'GET' && ctx.path === '/auth' && ctx.query.scope === undefined && typeof ctx.query.client_id === 'string') {
      const scope = await defaultScope(deps, ctx.query.client_id, ctx.query.resource);
      if (scope) ctx.query = { ...ctx.query, scope };
    }
    await next();
  };
}

async function defaultScope(
  deps: { provider: () => Provider; findResource: (uri: string) => Promise<Resource | undefined> },
  clientId: string,
  requested: string | string[] | undefined,
): Promise<string | undefined> {
  const client = (await deps.provider().Client.find(clientId).catch(() => undefined)) as unknown as Record<string, unknown> | undefined;
  if (!client) return undefined;
  const allowed = (client[RESOURCES_PROPERTY] as string[] | undefined) ?? [];
  const fallback = client[DEFAULT_RESOURCE_PROPERTY] as string | undefined;
  const resources = requested === undefined ? (fallback ? [fallback] : []) : [requested].flat();
  if (!resources.length || !resources.every((uri) => allowed.includes(uri))) return undefined;
  const clientScopes = new Set((client[RESOURCE_SCOPES_PROPERTY] as string[] | undefined) ?? []);
  const offered = new Set<string>();
  for (const uri of resources) {
    const resource = await deps.findResource(uri);
    if (!resource) return undefined;
    for (const scope of resource.scopes) if (clientScopes.has(scope)) offered.add(scope);
  }
  return offered.size ? [...offered].sort().join(' ') : undefined;
}
