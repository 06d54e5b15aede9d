import Koa from 'koa';
import compose from 'koa-compose';
import mount from 'koa-mount';
import { LRUCache } from 'lru-cache';
import type Provider from 'oidc-provider';

import type { ErrorPage } from '../interactions/error-page.js';
import type { Logger } from '../logger.js';
import { errorMiddleware } from './middleware/koa-errors.js';
import { protocolInputMiddleware, replayReadBody } from './middleware/koa-protocol-input.js';
import { CookieSigner } from '../lib/cookie-signer.js';
import { requestIdMiddleware } from './middleware/koa-request-id.js';
import type { RateLimitMiddlewares } from './rate-limits/koa-rate-limit.js';
import type Router from '@koa/router';

export interface HttpAppDeps {
  log: Logger;
  cookieKeys: string[];
  trustProxy: boolean;
  /** How many proxies append to X-Forwarded-For (the client's address is that far from the end). */
  trustProxyHops?: number;
  routers: Router[];
  /** What a person's browser is shown when one of the pages fails. */
  errorPage: ErrorPage;
  /** The provider currently serving (it is replaced when signing keys rotate). */
  provider: () => Provider;
  /** Runs first, around everything else: sees every request and its final status (the metrics). */
  observe?: Koa.Middleware;
  /** Puts each request's W3C trace context into the logs (after the request id is known). */
  trace?: Koa.Middleware;
  /** Request rate limits (absent when turned off). */
  rateLimit?: RateLimitMiddlewares;
  /** Answer some protocol requests before oidc-provider (after the input check and the rate limits, as oidc-provider). */
  beforeProvider?: Koa.Middleware[];
}

/** Gatehouse's own routes first; everything else is oidc-provider's. */
export function createHttpApp(deps: HttpAppDeps): Koa {
  // Behind proxies the client's address is the entry the outermost trusted proxy added: entries
  // before it are whatever the client sent, and would let it pick its rate-limit key.
  const app = new Koa({ proxy: deps.trustProxy, maxIpsCount: deps.trustProxyHops ?? 1 });
  // keygrip's signatures, a cheaper comparison (src/lib/cookie-signer.ts).
  app.keys = new CookieSigner(deps.cookieKeys);
  // Errors are logged by errorMiddleware with context; Koa's default printer would duplicate them.
  app.silent = true;
  if (deps.observe) app.use(deps.observe);
  app.use(requestIdMiddleware());
  if (deps.trace) app.use(deps.trace);
  app.use(errorMiddleware(deps.log, deps.errorPage));
  if (deps.rateLimit) app.use(deps.rateLimit.routes);
  // One middleware for all routers: a request none of them serves (oidc-provider's) passes one
  // check instead of two dispatches per router.
  const routed = routedRequests(deps.routers);
  const routes = compose(deps.routers.flatMap((router) => [router.routes(), router.allowedMethods()] as Koa.Middleware[]));
  app.use((ctx, next) => (routed(ctx) ? routes(ctx, next) : next()));

  // RFC 8414 metadata is the same document as OIDC discovery; oidc-provider serves only the latter.
  app.use((ctx, next) => {
    if (ctx.path === '/.well-known/oauth-authorization-server') ctx.path = '/.well-known/openid-configuration';
    return next();
  });

  // What reaches oidc-provider is checked for text Postgres cannot store before it reads it.
  app.use(protocolInputMiddleware());
  if (deps.rateLimit) app.use(deps.rateLimit.provider);
  for (const middleware of deps.beforeProvider ?? []) app.use(middleware);
  const mounted = new WeakMap<Provider, Koa.Middleware>();
  app.use((ctx, next) => {
    replayReadBody(ctx);
    const provider = deps.provider();
    let middleware = mounted.get(provider);
    if (!middleware) {
      middleware = mount(provider as unknown as Koa) as Koa.Middleware;
      mounted.set(provider, middleware);
    }
    return middleware(ctx, next);
  });
  return app;
}

/** Distinct `METHOD path`s whose routing is remembered (least recently used out first). */
const UNROUTED_PATHS_KEPT = 1000;

/**
 * Whether any of Gatehouse's routers could serve a request. oidc-provider's endpoints (the token
 * endpoint above all) would otherwise pass through every router, each trying every pattern it
 * has, on every request. A GET or POST for which no router has a route with any method is passed
 * over: a router would only call the next middleware (its `use` middleware runs only with a
 * route), and `allowedMethods` would add nothing (for these methods it acts only when a route
 * of another method matches the path).
 */
export function routedRequests(routers: Router[]): (ctx: Koa.Context) => boolean {
  const unrouted = new LRUCache<string, boolean>({ max: UNROUTED_PATHS_KEPT });
  const decided = Symbol('routed');
  return (ctx) => {
    const state = ctx.state as Record<symbol, boolean | undefined>;
    const known = state[decided];
    if (known !== undefined) return known;
    let routed = true;
    if (ctx.method === 'GET' || ctx.method === 'POST') {
      const key = `${ctx.method} ${ctx.path}`;
      let none = unrouted.get(key);
      if (none === undefined) {
        // Only method-less layers (a router's `use`) match: the router would call the next middleware.
        none = routers.every((router) => router.match(ctx.path, ctx.method).path.every((layer) => layer.methods.length === 0));
        unrouted.set(key, none);
      }
      routed = !none;
    }
    state[decided] = routed;
    return routed;
  };
}
