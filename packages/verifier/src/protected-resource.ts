import type { ExpressLikeMiddleware } from './express-auth.js';
import type { KoaLikeContext, KoaLikeMiddleware } from './koa-auth.js';

const WELL_KNOWN = '/.well-known/oauth-protected-resource';

/**
 * Options of {@link protectedResource}: what a service says about itself in its RFC 9728
 * metadata.
 *
 * @example
 * ```ts
 * import type { ProtectedResourceOptions } from '@gatehouse/verifier';
 *
 * const options: ProtectedResourceOptions = { resource: 'https://mcp.example.org/mcp', authorizationServers: ['https://id.example.org'], scopesSupported: ['mcp:tools'] };
 * ```
 */
export interface ProtectedResourceOptions {
  /** The resource identifier: the service's resource URI registered in Gatehouse (tokens' `aud`). */
  resource: string;
  /** Issuer URLs of the authorization servers that issue tokens for it (Gatehouse's issuer). */
  authorizationServers: readonly string[];
  /** Scopes a client may ask for this resource (`scopes_supported`). */
  scopesSupported?: readonly string[];
  /** A human-readable name (`resource_name`). */
  resourceName?: string;
  /** Proof algorithms accepted when tokens are DPoP-bound (`dpop_signing_alg_values_supported`). */
  dpopSigningAlgValuesSupported?: readonly string[];
}

/** The RFC 9728 §2 document. */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  bearer_methods_supported: string[];
  scopes_supported?: string[];
  resource_name?: string;
  dpop_signing_alg_values_supported?: string[];
}

/**
 * A service's protected resource metadata, where to serve it, and the URL to name in
 * WWW-Authenticate challenges.
 *
 * @example
 * ```ts
 * import { protectedResource } from '@gatehouse/verifier';
 *
 * const prm = protectedResource({ resource: 'https://mcp.example.org/mcp', authorizationServers: ['https://id.example.org'] });
 * prm.path;        // '/.well-known/oauth-protected-resource/mcp'
 * prm.metadataUrl; // 'https://mcp.example.org/.well-known/oauth-protected-resource/mcp'
 * ```
 */
export interface ProtectedResource {
  readonly metadata: ProtectedResourceMetadata;
  /** The path on the resource's origin the document is served at (RFC 9728 §3.1). */
  readonly path: string;
  /** The absolute URL of the document: pass it as the auth middleware's `resourceMetadata`. */
  readonly metadataUrl: string;
}

/**
 * Describes a resource server per RFC 9728: the metadata document (which names Gatehouse as its
 * authorization server) and its well-known location, which RFC 9728 §3.1 derives from the
 * resource identifier: `/.well-known/oauth-protected-resource` followed by the resource's path.
 *
 * @example
 * ```ts
 * import { createVerifier, koaAuth, koaProtectedResource, protectedResource } from '@gatehouse/verifier';
 *
 * const resource = 'https://mcp.example.org/mcp';
 * const verifier = createVerifier({ issuer: 'https://id.example.org', audience: resource });
 * const prm = protectedResource({ resource, authorizationServers: [verifier.issuer] });
 * app.use(koaProtectedResource(prm)).use(koaAuth(verifier, { resourceMetadata: prm.metadataUrl }));
 * ```
 */
export function protectedResource(options: ProtectedResourceOptions): ProtectedResource {
  const url = new URL(options.resource);
  if (url.hash) throw new TypeError('a resource identifier has no fragment (RFC 9728 §1.2)');
  if (!options.authorizationServers.length) throw new TypeError('name at least one authorization server');
  const resourcePath = url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, '');
  const path = `${WELL_KNOWN}${resourcePath}`;
  const metadata: ProtectedResourceMetadata = {
    resource: options.resource,
    authorization_servers: [...options.authorizationServers],
    bearer_methods_supported: ['header'],
    ...(options.scopesSupported ? { scopes_supported: [...options.scopesSupported] } : {}),
    ...(options.resourceName ? { resource_name: options.resourceName } : {}),
    ...(options.dpopSigningAlgValuesSupported ? { dpop_signing_alg_values_supported: [...options.dpopSigningAlgValuesSupported] } : {}),
  };
  return Object.freeze({ metadata: Object.freeze(metadata), path, metadataUrl: `${url.origin}${path}` });
}

const body = (prm: ProtectedResource) => JSON.stringify(prm.metadata);

/**
 * Koa middleware serving a {@link protectedResource}'s document at its path (GET and HEAD, any
 * origin may read it: it is public and browser-based clients fetch it); other requests pass on.
 * Put it before the auth middleware: the document is read without a token.
 *
 * @example
 * ```ts
 * import Koa from 'koa';
 * import { koaProtectedResource, protectedResource } from '@gatehouse/verifier';
 *
 * const prm = protectedResource({ resource: 'https://mcp.example.org/mcp', authorizationServers: ['https://id.example.org'] });
 * new Koa().use(koaProtectedResource(prm));
 * ```
 */
export function koaProtectedResource(prm: ProtectedResource): KoaLikeMiddleware {
  const json = body(prm);
  return async function gatehouseProtectedResource(ctx: KoaLikeContext, next) {
    if (ctx.path !== prm.path || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return void (await next());
    ctx.status = 200;
    ctx.set('content-type', 'application/json');
    ctx.set('access-control-allow-origin', '*');
    ctx.set('cache-control', 'max-age=300');
    ctx.body = json;
  };
}

/**
 * Express (or `node:http`) middleware: the twin of {@link koaProtectedResource}.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { expressProtectedResource, protectedResource } from '@gatehouse/verifier';
 *
 * const prm = protectedResource({ resource: 'https://mcp.example.org/mcp', authorizationServers: ['https://id.example.org'] });
 * express().use(expressProtectedResource(prm));
 * ```
 */
export function expressProtectedResource(prm: ProtectedResource): ExpressLikeMiddleware {
  const json = body(prm);
  return function gatehouseProtectedResource(req, res, next) {
    const path = (req.originalUrl ?? req.url ?? '/').split(/[?#]/, 1)[0];
    if (path !== prm.path || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    res.statusCode = 200;
    res.setHeader('content-type', 'application/json');
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('cache-control', 'max-age=300');
    res.end(req.method === 'HEAD' ? '' : json);
  };
}
