import type { Resource } from '../domain/types.js';

/**
 * How oidc-provider mints tokens for one of Gatehouse's resources: RFC 9068 JWTs signed RS256
 * with the current key, the resource as `aud`, its lifetime. One shape for the built-in grants
 * (getResourceServerInfo) and token exchange, so every access token is made alike.
 */
export function resourceServerInfo(resource: Resource, scope: string[]) {
  return {
    audience: resource.uri,
    scope: scope.join(' '),
    accessTokenTTL: resource.accessTokenTtl,
    accessTokenFormat: 'jwt' as const,
    jwt: { sign: { alg: 'RS256' as const } },
  };
}
