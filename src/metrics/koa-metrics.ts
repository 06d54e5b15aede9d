import type { Middleware } from 'koa';

import { protocolRequestOf } from '../http/protocol-request.js';
import type { Metrics } from './create-metrics.js';

/**
 * Records every request once it has its final status: by the route that served it (a router
 * pattern such as `/api/v1/users/:userId`, or oidc-provider's route name), never the raw path.
 * Token, introspection and revocation answers are also counted by what they said.
 */
export function metricsMiddleware(metrics: Metrics): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const oidc = protocolRequestOf(ctx);
      const matched = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute;
      const route = oidc?.route ?? (typeof matched === 'string' ? matched : 'unmatched');
      metrics.request(route, ctx.method, ctx.status, Number(process.hrtime.bigint() - started) / 1e9);
      if (ctx.status === 200) {
        if (oidc?.route === 'token' && oidc.client) metrics.tokenIssued(String(oidc.params?.grant_type ?? 'unknown'), oidc.client.clientId);
        else if (oidc?.route === 'introspection') metrics.introspected(Boolean((ctx.body as { active?: unknown } | undefined)?.active));
        else if (oidc?.route === 'revocation') metrics.revoked();
      }
    }
  };
}
