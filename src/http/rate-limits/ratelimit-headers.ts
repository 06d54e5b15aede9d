import type { Context } from 'koa';

import type { RateLimitPolicy, RateLimitState } from '../../domain/ports/rate-limiter.js';

/** A named quota, as the RateLimit headers name it (`"token-client"`). */
export interface NamedPolicy {
  name: string;
  policy: RateLimitPolicy;
}

/**
 * draft-ietf-httpapi-ratelimit-headers (structured fields): `RateLimit-Policy` lists the quotas
 * that apply to the request (`q` requests per `w` seconds), `RateLimit` where the request stands
 * in the one it was counted against (`r` remaining, `t` seconds until the window resets).
 */
export function setRateLimitHeaders(ctx: Context, policies: readonly NamedPolicy[], counted: NamedPolicy, state: RateLimitState): void {
  ctx.set('RateLimit-Policy', policies.map(({ name, policy }) => `"${name}";q=${policy.points};w=${policy.windowSeconds}`).join(', '));
  ctx.set('RateLimit', `"${counted.name}";r=${state.remaining};t=${state.resetSeconds}`);
}
