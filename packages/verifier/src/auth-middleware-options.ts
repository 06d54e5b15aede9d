/**
 * Options of {@link koaAuth} and {@link expressAuth}.
 *
 * @example
 * ```ts
 * import type { AuthMiddlewareOptions } from '@gatehouse/verifier';
 *
 * const options: AuthMiddlewareOptions = { cookieName: 'cms_at', realm: 'cms', retryAfterSeconds: 10, origin: 'https://cms.example.org' };
 * ```
 */
export interface AuthMiddlewareOptions {
  /**
   * Also accept the token from this cookie when there is no Authorization header. Off by default:
   * a cookie is sent by the browser on cross-site requests too, so only enable it for a cookie set
   * with `SameSite=Strict` (or Lax, for GET-only routes) and `HttpOnly`, or add CSRF protection.
   */
  cookieName?: string;
  /** The `realm` of WWW-Authenticate challenges. Default: the verifier's audience. */
  realm?: string;
  /** `Retry-After` (seconds) sent with 503 when Gatehouse cannot be reached. Default 5. */
  retryAfterSeconds?: number;
  /**
   * This service's public origin as clients address it (`https://cms.example.org`), for checking
   * the `htu` of DPoP proofs. Default: taken from the request (Koa's `ctx.protocol` and `ctx.host`,
   * which honour `app.proxy`; Express's `req.protocol` and Host header). Set it when a proxy in front of the
   * service changes the scheme or Host.
   */
  origin?: string;
  /**
   * The URL of this service's protected resource metadata (RFC 9728), named as
   * `resource_metadata="…"` in every WWW-Authenticate challenge, so a client that knows only the
   * service (an MCP client, for one) finds Gatehouse from the first 401. Use
   * {@link protectedResource}'s `metadataUrl`.
   */
  resourceMetadata?: string;
}
