import type { Context, Middleware } from 'koa';
import { errors } from 'oidc-provider';

import type { GroupLimits, RateLimitGroup } from '../../config/rate-limit-settings.js';
import { TooManyRequestsError } from '../../domain/errors.js';
import type { RateLimiter, RateLimiters, RateLimitState } from '../../domain/ports/rate-limiter.js';
import { addressKey } from './address-key.js';
import { setRateLimitHeaders, type NamedPolicy } from './ratelimit-headers.js';
import { LIMITED_ENDPOINTS, type LimitedEndpoint, type Stage } from './limited-endpoints.js';

/**
 * Over a limit at an OAuth endpoint. RFC 6749 has no error for it; `temporarily_unavailable`
 * is its "temporary overloading" (§4.1.2.1), which OAuth clients already treat as retryable,
 * and HTTP's 429 with Retry-After says when (RFC 6585). Not `slow_down`: outside device polling
 * (RFC 8628) clients do not know it.
 */
export class RateLimitedError extends errors.OIDCProviderError {
  constructor(retryAfter: number) {
    super(429, 'temporarily_unavailable');
    this.expose = true;
    this.error_description = `too many requests; retry after ${retryAfter} seconds`;
  }
}

type QuotaKind = 'client' | 'ip';

interface Quota extends NamedPolicy {
  kind: QuotaKind;
  limiter: RateLimiter;
}

export interface RateLimitMiddlewares {
  /** Before Gatehouse's own routers: login, registration, management API. */
  routes: Middleware;
  /** Just before oidc-provider, after the protocol input check: token, introspection, revocation, device. */
  provider: Middleware;
}

/**
 * Per-client and per-address limits on the endpoints of LIMITED_ENDPOINTS.
 *
 * Where an endpoint authenticates clients, a request is charged once answered, to the client it
 * proved to be — or, if it proved none (a wrong secret, a public client), to its address. Before
 * any work, a request is refused if its address, or the client it names, is already over its
 * quota. So nobody can spend a client's quota by sending its client_id, and a busy client behind
 * one address does not use up that address's quota. Requests in flight are not yet counted: a
 * window can overshoot by the number of concurrent requests. Endpoints without clients (pages,
 * registration) spend per address before any work.
 */
export function rateLimitMiddleware(
  limiters: RateLimiters,
  limits: Record<RateLimitGroup, GroupLimits>,
  ipOf: (ctx: Context) => string,
  onRefused: (group: RateLimitGroup, quota: QuotaKind) => void = () => {},
): RateLimitMiddlewares {
  const quotas = new Map<RateLimitGroup, { client?: Quota; ip: Quota }>();
  for (const [group, { client, ip }] of Object.entries(limits) as Array<[RateLimitGroup, GroupLimits]>) {
    const quota = (kind: QuotaKind, policy: typeof ip): Quota => ({ name: `${group}-${kind}`, kind, policy, limiter: limiters.create(`${group}:${kind}`, policy) });
    quotas.set(group, { ...(client ? { client: quota('client', client) } : {}), ip: quota('ip', ip) });
  }

  const refuse = (ctx: Context, endpoint: LimitedEndpoint, applying: Quota[], over: Quota, state: RateLimitState): never => {
    onRefused(endpoint.group, over.kind);
    const retryAfter = Math.max(state.resetSeconds, 1);
    setRateLimitHeaders(ctx, applying, over, state);
    ctx.set('Retry-After', String(retryAfter));
    if (endpoint.audience === 'oauth') throw new RateLimitedError(retryAfter);
    if (endpoint.audience === 'page') ctx.state.servesPeople = true;
    throw new TooManyRequestsError(`too many requests; retry after ${retryAfter} seconds`);
  };

  const limit = (stage: Stage): Middleware => {
    const endpoints = LIMITED_ENDPOINTS.filter((e) => e.stage === stage);
    return async function rateLimit(ctx, next) {
      const endpoint = endpoints.find((e) => e.matches(ctx.method, ctx.path));
      const quota = endpoint && quotas.get(endpoint.group);
      if (!endpoint || !quota) return next();
      const ipKey = addressKey(ipOf(ctx));

      if (!endpoint.authenticated || !quota.client) {
        const state = await quota.ip.limiter.spend(ipKey);
        if (state.over) refuse(ctx, endpoint, [quota.ip], quota.ip, state);
        setRateLimitHeaders(ctx, [quota.ip], quota.ip, state);
        return next();
      }

      const client = quota.client;
      const applying = [client, quota.ip];
      const named = endpoint.named?.(ctx);
      const [ipState, namedState] = await Promise.all([quota.ip.limiter.peek(ipKey), named ? client.limiter.peek(named) : undefined]);
      if (ipState.exhausted) refuse(ctx, endpoint, applying, quota.ip, ipState);
      if (named && namedState?.exhausted) refuse(ctx, endpoint, applying, client, namedState);
      try {
        await next();
      } finally {
        const proven = endpoint.authenticated(ctx);
        const charged = proven ? client : quota.ip;
        const state = await charged.limiter.spend(proven ?? ipKey);
        setRateLimitHeaders(ctx, applying, charged, state);
      }
    };
  };
  return { routes: limit('routes'), provider: limit('provider') };
}
