import type { IncomingMessage } from 'node:http';

import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';

import { DEFAULT_RESOURCE_PROPERTY, RESOURCE_SCOPES_PROPERTY, RESOURCES_PROPERTY } from '../domain/client-metadata.js';
import { StorageUnavailableError } from '../domain/errors.js';
import type { Resource } from '../domain/types.js';
import { TemporarilyUnavailable } from './errors.js';
import { basicCredentials } from '../lib/basic-credentials.js';
import { PROVIDER_BODY_LIMIT, replayable } from '../lib/replayable-request.js';

/** Endpoints that take an authorization request as a form body: PAR (RFC 9126) and device authorization (RFC 8628). */
const FORM_REQUEST_PATHS = new Set(['/request', '/device/auth']);
/** oidc-provider's own body limit: a longer body is refused by it, untouched here. */

/**
 * OAuth 2.1 §3.2.2.1: an authorization request may omit `scope`, and the server then either
 * applies a predefined default or fails. Plain OAuth clients (MCP clients among them) send
 * `response_type=code`, PKCE, `resource` and no scope; oidc-provider would grant nothing and
 * end such a request with access_denied after the login. Gatehouse's default is what the client
 * may ask of the requested resources (its resource scopes they offer), so consent shows them and
 * the token carries them; no `openid`, so no ID token.
 *
 * Provider middleware: it rewrites the query of a GET /auth that names no scope, and the form
 * body of a pushed authorization request or a device authorization request that names none,
 * before oidc-provider reads them. A request whose client or resources are unknown is left as it
 * is, for oidc-provider to refuse in its usual way.
 */
export function defaultScopeMiddleware(deps: { provider: () => Provider; findResource: (uri: string) => Promise<Resource | undefined> }) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    if (ctx.method === 'GET' && ctx.path === '/auth' && ctx.query.scope === undefined && typeof ctx.query.client_id === 'string') {
      const scope = await defaultScope(deps, ctx.query.client_id, ctx.query.resource);
      if (scope) ctx.query = { ...ctx.query, scope };
    } else if (ctx.method === 'POST' && FORM_REQUEST_PATHS.has(ctx.path) && ctx.is('application/x-www-form-urlencoded')) {
      await defaultScopeInBody(deps, ctx);
    }
    await next();
  };
}

async function defaultScope(
  deps: { provider: () => Provider; findResource: (uri: string) => Promise<Resource | undefined> },
  clientId: string,
  requested: string | string[] | undefined,
): Promise<string | undefined> {
  // A client that cannot be loaded is left to oidc-provider to refuse; a storage outage is not swallowed (503).
  const client = (await deps.provider().Client.find(clientId).catch((error: unknown) => {
    if (error instanceof TemporarilyUnavailable || error instanceof StorageUnavailableError) throw error;
    return undefined;
  })) as unknown as Record<string, unknown> | undefined;
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

/**
 * The same default for a form body. The bytes are handed on as they came, with `&scope=…`
 * appended when a default applies; a request object (`request`) carries its own parameters and
 * is left alone.
 */
async function defaultScopeInBody(deps: Parameters<typeof defaultScopeMiddleware>[0], ctx: KoaContextWithOIDC): Promise<void> {
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of ctx.req) {
    received += (chunk as Buffer).length;
    chunks.push(chunk as Buffer);
    if (received > PROVIDER_BODY_LIMIT) break;
  }
  let bytes = Buffer.concat(chunks);
  const replay = (body: Buffer) => {
    ctx.req = replayable(ctx.req as IncomingMessage, body);
  };
  if (received > PROVIDER_BODY_LIMIT) return replay(bytes);
  const form = new URLSearchParams(bytes.toString('utf8'));
  const clientId = form.get('client_id') ?? (basicCredentials(ctx.get('authorization'))?.clientId || undefined);
  if (form.has('scope') || form.has('request') || !clientId) return replay(bytes);
  const resources = form.getAll('resource');
  const scope = await defaultScope(deps, clientId, resources.length ? resources : undefined);
  if (scope) {
    bytes = Buffer.concat([bytes, Buffer.from(`${bytes.length ? '&' : ''}scope=${encodeURIComponent(scope)}`)]);
    ctx.req.headers['content-length'] = String(bytes.length);
  }
  return replay(bytes);
}
