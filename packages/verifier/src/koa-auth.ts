import type { AuthMiddlewareOptions } from './auth-middleware-options.js';
import type { Verifier } from './create-verifier.js';
import { createAuthenticator } from './lib/authenticate.js';
import { respondKoa } from './lib/respond.js';

/**
 * The parts of a Koa context the middleware uses. Typed structurally so the verifier does not
 * depend on koa's types; a Koa `ParameterizedContext` satisfies it.
 *
 * @example
 * ```ts
 * import type { KoaLikeContext } from '@gatehouse/verifier';
 *
 * const authOf = (ctx: KoaLikeContext) => (ctx.state as { auth?: unknown }).auth;
 * ```
 */
export interface KoaLikeContext {
  get(field: string): string;
  /** For DPoP proofs: the request's method, scheme, host and path (Koa honours `app.proxy` for the middle two). */
  readonly method: string;
  readonly protocol: string;
  readonly host: string;
  readonly path: string;
  set(field: string, value: string): void;
  status: number;
  body: unknown;
  state: object;
}

/**
 * A Koa middleware signature satisfied by `Koa.Middleware` and `@koa/router` middleware.
 *
 * @example
 * ```ts
 * import type { KoaLikeMiddleware } from '@gatehouse/verifier';
 *
 * const noop: KoaLikeMiddleware = async (_ctx, next) => { await next(); };
 * ```
 */
export type KoaLikeMiddleware = (ctx: KoaLikeContext, next: () => Promise<unknown>) => Promise<void>;

/**
 * Koa middleware that verifies the request's access token (Authorization header, `Bearer`, or
 * `DPoP` with a DPoP proof for DPoP-bound tokens; the `cookieName` cookie only if set) and puts
 * the claims on `ctx.state.auth`. Otherwise it answers
 * itself, without calling the next middleware: 401 with an RFC 6750 challenge
 * (`WWW-Authenticate: Bearer realm="..."` alone when there is no token,
 * `error="invalid_token"` when it is invalid or expired), or 503 with `Retry-After` when
 * Gatehouse's keys cannot be fetched and none are cached. The JSON body is
 * `{ error, error_description }` with `error` one of the stable {@link VerifierErrorCode}s.
 * Add per-route checks with {@link koaRequire}.
 *
 * @example
 * ```ts
 * import Koa from 'koa';
 * import Router from '@koa/router';
 * import { createVerifier, koaAuth, koaRequire, requireScope, type GatehouseClaims } from '@gatehouse/verifier';
 *
 * const verifier = createVerifier({ issuer: 'https://id.example.org', audience: 'https://cms.example' });
 * const router = new Router();
 * router.get('/cases', koaRequire(requireScope('cases:read')), (ctx) => {
 *   const auth = ctx.state.auth as GatehouseClaims;
 *   ctx.body = { cases: [], for: auth.sub };
 * });
 * new Koa().use(koaAuth(verifier)).use(router.routes()).listen(3000);
 * ```
 */
export function koaAuth(verifier: Verifier, options: AuthMiddlewareOptions = {}): KoaLikeMiddleware {
  const authenticate = createAuthenticator(verifier, options);
  return async function gatehouseKoaAuth(ctx, next) {
    const outcome = await authenticate({
      authorization: ctx.get('authorization') || undefined,
      cookie: ctx.get('cookie') || undefined,
      dpop: ctx.get('dpop') || undefined,
      method: ctx.method,
      // Not ctx.origin: Koa 3 returns the Origin request header there.
      origin: `${ctx.protocol}://${ctx.host}`,
      path: ctx.path,
    });
    if ('challenge' in outcome) return respondKoa(ctx, outcome.challenge);
    (ctx.state as { auth?: unknown }).auth = outcome.claims;
    await next();
  };
}
