import type { AuthMiddlewareOptions } from './auth-middleware-options.js';
import type { Verifier } from './create-verifier.js';
import type { GatehouseClaims } from './gatehouse-claims.js';
import { createAuthenticator } from './lib/authenticate.js';
import { respondNode } from './lib/respond.js';

/**
 * The parts of an Express (or plain `node:http`) request the middleware uses; `auth` is where it
 * puts the claims. With Express, declare it on the Request type:
 * `declare global { namespace Express { interface Request { auth?: GatehouseClaims } } }`.
 *
 * @example
 * ```ts
 * import type { IncomingMessage } from 'node:http';
 * import type { ExpressLikeRequest } from '@gatehouse/verifier';
 *
 * const asRequest = (req: IncomingMessage): ExpressLikeRequest => req;
 * ```
 */
export interface ExpressLikeRequest {
  headers: { authorization?: string | undefined; cookie?: string | undefined; dpop?: string | string[] | undefined; host?: string | undefined };
  /** For DPoP proofs: the method, the URL (Express's `originalUrl` first) and scheme of the request. */
  method?: string | undefined;
  url?: string | undefined;
  originalUrl?: string | undefined;
  protocol?: string | undefined;
  auth?: GatehouseClaims;
}

/**
 * The parts of an Express (or `node:http`) response the middleware uses to answer a failure.
 *
 * @example
 * ```ts
 * import type { ServerResponse } from 'node:http';
 * import type { ExpressLikeResponse } from '@gatehouse/verifier';
 *
 * const asResponse = (res: ServerResponse): ExpressLikeResponse => res;
 * ```
 */
export interface ExpressLikeResponse {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body: string): unknown;
}

/**
 * An Express-style middleware signature (`(req, res, next) => void`), satisfied by Express's
 * `RequestHandler` and usable from a plain `node:http` server.
 *
 * @example
 * ```ts
 * import type { ExpressLikeMiddleware } from '@gatehouse/verifier';
 *
 * const noop: ExpressLikeMiddleware = (_req, _res, next) => next();
 * ```
 */
export type ExpressLikeMiddleware = (req: ExpressLikeRequest, res: ExpressLikeResponse, next: (error?: unknown) => void) => void;

/**
 * Express (or Connect, or plain `node:http`) middleware: the twin of {@link koaAuth}. It verifies
 * the bearer token and sets `req.auth`, then calls `next()`; on failure it answers 401/503 itself
 * (same challenges and JSON body as koaAuth) and does not call `next`. Unexpected errors go to
 * `next(error)`. Add per-route checks with {@link expressRequire}.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { createVerifier, expressAuth, expressRequire, requireScope } from '@gatehouse/verifier';
 *
 * const verifier = createVerifier({ issuer: 'https://id.example.org', audience: 'https://cms.example' });
 * const app = express();
 * app.use(expressAuth(verifier));
 * app.get('/cases', expressRequire(requireScope('cases:read')), (req, res) => {
 *   res.json({ cases: [], for: req.auth!.sub });
 * });
 * app.listen(3000);
 * ```
 */
export function expressAuth(verifier: Verifier, options: AuthMiddlewareOptions = {}): ExpressLikeMiddleware {
  const authenticate = createAuthenticator(verifier, options);
  return function gatehouseExpressAuth(req, res, next) {
    const dpop = req.headers.dpop;
    const target = req.originalUrl ?? req.url ?? '/';
    authenticate({
      authorization: req.headers.authorization,
      cookie: req.headers.cookie,
      // Repeated DPoP headers arrive as an array or joined: either way more than one proof, refused.
      dpop: Array.isArray(dpop) ? dpop.join(', ') : dpop,
      method: req.method ?? 'GET',
      origin: `${req.protocol ?? 'http'}://${req.headers.host ?? 'localhost'}`,
      path: target.split(/[?#]/, 1)[0]!,
    }).then((outcome) => {
      if ('challenge' in outcome) return respondNode(res, outcome.challenge);
      req.auth = outcome.claims;
      next();
    }).catch(next);
  };
}
