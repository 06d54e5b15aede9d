import type { Middleware } from 'koa';
import { nanoid } from 'nanoid';
import type Provider from 'oidc-provider';

import { markAnsweredBeforeProvider } from '../http/protocol-request.js';
import type { ClientResources } from './client-resources.js';
import { plainBasicClient, plainForm } from './plain-client-request.js';
import type { Rs256SigningKey } from './rs256-signing-key.js';

/** oidc-provider's token route (its default; Gatehouse does not move it). */
const TOKEN_PATH = '/token';
const GRANT_TYPE = 'client_credentials';
/** The only parameters of the requests taken here; any other (client_id, an assertion, authorization_details) goes to oidc-provider. */
const PARAMETERS = new Set(['grant_type', 'scope', 'resource']);
/** oidc-provider's token ids: 43 URL-safe characters (258 bits), drawn from a pooled buffer (a randomBytes call per token cost more). */
const JTI_LENGTH = 43;

export interface ClientCredentialsShortcutDeps {
  issuer: string;
  /** The provider serving now and a signer with the key it signs with (both change when keys rotate). */
  current: () => { provider: Provider; signer: Rs256SigningKey };
  resources: ClientResources;
  /** A service client's roles on a resource: the same per-node cache oidc-provider's tokens are minted from. */
  clientRoles: (clientId: string, audience: string) => Promise<string[]>;
  /** Access token lifetime when the resource sets none (oidc-provider's `ttl.ClientCredentials`). */
  defaultTtlSeconds: number;
  /** Told of every token minted, as oidc-provider's `client_credentials.issued` event tells. */
  onIssued: (clientId: string) => void;
}

/**
 * Mints the commonest token — a service's client_credentials JWT for one of Gatehouse's
 * resources, asked with client_secret_basic — before oidc-provider, the same token it would
 * mint (same claims, header, key and lifetime; the answer's members alike). It is the hot path of
 * every backend service, and oidc-provider's route costs more than the token's signature (its
 * middleware chain, parameter assembly, client lookup, and WebCrypto).
 *
 * It only takes what it can check exactly as oidc-provider would, and what oidc-provider would
 * grant without a question: a form with `grant_type=client_credentials` and at most one `scope`
 * and one `resource`; Basic credentials of a client registered for client_secret_basic or _post
 * whose secret matches, that may use the grant and needs no DPoP binding; a resource (named, or
 * the client's default) the client may use; only scopes that resource offers the client.
 * Anything else — every failure, a token without a resource (opaque, stored by oidc-provider)
 * and a scope oidc-provider would drop or refuse — goes on to oidc-provider unchanged.
 * test/client-credentials-shortcut.test.ts asks each question both ways and compares.
 */
export function clientCredentialsShortcut(deps: ClientCredentialsShortcutDeps): Middleware {
  return async function mintClientCredentials(ctx, next) {
    if (ctx.method !== 'POST' || ctx.path !== TOKEN_PATH) return next();
    const form = plainForm(ctx, PARAMETERS);
    if (form?.grant_type !== GRANT_TYPE) return next();

    const { provider, signer } = deps.current();
    const client = await plainBasicClient(provider, ctx.get('authorization'));
    if (!client || !client.grantTypeAllowed(GRANT_TYPE) || client.dpopBoundAccessTokens || client.tlsClientCertificateBoundAccessTokens) return next();
    const metadata = client as unknown as Record<string, unknown>;
    const indicator = form.resource ?? deps.resources.defaultResource(metadata);
    if (!indicator || !isResourceIndicator(indicator)) return next();
    const server = await deps.resources.serverInfo(metadata, indicator);
    if (!server) return next();
    // oidc-provider keeps the requested scopes the resource offers, in the order asked, once each.
    const offered = new Set(server.scope.split(' '));
    const scopes = form.scope === undefined ? [] : [...new Set(form.scope.split(' '))];
    if (!scopes.every((scope) => offered.has(scope))) return next();

    const roles = await deps.clientRoles(client.clientId, server.audience);
    const ttl = server.accessTokenTTL ?? deps.defaultTtlSeconds;
    const iat = Math.floor(Date.now() / 1000);
    const scope = scopes.join(' ') || undefined;
    // Claims in oidc-provider's order (formats/jwt.js): extra claims first, then its own.
    const accessToken = await signer.signJwt({
      ...(roles.length ? { roles } : {}),
      jti: nanoid(JTI_LENGTH),
      sub: client.clientId,
      iat,
      exp: iat + ttl,
      scope,
      client_id: client.clientId,
      iss: deps.issuer,
      aud: server.audience,
    }, 'at+jwt');
    deps.onIssued(client.clientId);

    markAnsweredBeforeProvider(ctx, { route: 'token', params: { grant_type: GRANT_TYPE }, client });
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 200;
    ctx.type = 'application/json; charset=utf-8';
    ctx.body = { access_token: accessToken, expires_in: ttl, ...(scope ? { scope } : {}), token_type: 'Bearer' };
  };
}

/** What oidc-provider accepts as a resource indicator: an absolute URI without a fragment. */
function isResourceIndicator(indicator: string): boolean {
  const href = URL.parse(indicator)?.href;
  return href !== undefined && !href.includes('#');
}
