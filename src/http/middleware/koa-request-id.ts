import { randomUUID } from 'node:crypto';

import type { Middleware } from 'koa';

/**
 * Tags each request with an id (a caller's well-formed X-Request-Id is kept) for logs and
 * problems, and with the time it arrived (refresh-token reuse detection compares it with the
 * moment a token was consumed: src/oidc/refresh-reuse-policy.ts).
 */
export function requestIdMiddleware(): Middleware {
  return async (ctx, next) => {
    const given = ctx.get('X-Request-Id');
    ctx.state.receivedAt = Date.now();
    ctx.state.requestId = /^[A-Za-z0-9._-]{8,128}$/.test(given) ? given : randomUUID();
    ctx.set('X-Request-Id', ctx.state.requestId as string);
    await next();
  };
}
