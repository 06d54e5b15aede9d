import type Provider from 'oidc-provider';
import type { TokenEndpointGrantContext } from 'oidc-provider';
import { errors } from 'oidc-provider';

import { RESOURCE_SCOPES_PROPERTY, RESOURCES_PROPERTY, TOKEN_EXCHANGE_RESOURCES_PROPERTY } from '../domain/client-metadata.js';
import { StorageUnavailableError } from '../domain/errors.js';
import { TOKEN_EXCHANGE_GRANT } from '../domain/schemas/client-schemas.js';
import { TokenExchangeRefused, type Actor, type ExchangedToken, type ExchangingClient, type SubjectToken, type TokenExchange } from '../domain/tokens/token-exchange.js';
import type { AccessTokenReader } from './access-token-reader.js';
import { TemporarilyUnavailable } from './errors.js';
import { resourceServerInfo } from './resource-server-info.js';

/** The only token type Gatehouse takes and issues in an exchange: its own JWT access tokens. */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

const PARAMETERS = ['subject_token', 'subject_token_type', 'actor_token', 'actor_token_type', 'requested_token_type', 'resource', 'scope', 'audience'] as const;
type Params = Partial<Record<typeof PARAMETERS[number], string>>;

/** The claims an exchanged token carries beyond oidc-provider's own, kept on the token until extraTokenClaims asks. */
const EXCHANGE_CLAIMS = new WeakMap<object, ExchangedToken['claims']>();

/** For extraTokenClaims: the `act`, lab and role claims of a token minted by an exchange (undefined for any other token). */
export function exchangeClaimsOf(token: object): ExchangedToken['claims'] | undefined {
  return EXCHANGE_CLAIMS.get(token);
}

export interface TokenExchangeGrantDeps {
  /** Verifies and checks the liveness of subject tokens (the key set of the provider being built). */
  tokens: AccessTokenReader;
  exchange: TokenExchange;
}

function exchangingClient(client: Record<string, unknown> & { clientId: string }): ExchangingClient {
  const list = (key: string) => (client[key] as string[] | undefined) ?? [];
  return { clientId: client.clientId, resources: list(RESOURCES_PROPERTY), resourceScopes: list(RESOURCE_SCOPES_PROPERTY), exchangeResources: list(TOKEN_EXCHANGE_RESOURCES_PROPERTY) };
}

function asActor(value: unknown): Actor | undefined {
  return value && typeof value === 'object' && typeof (value as Actor).sub === 'string' ? value as Actor : undefined;
}

const unusable = () => new errors.InvalidGrant('subject token is invalid, expired or revoked');

/**
 * RFC 8693 token exchange as an oidc-provider grant type: the protocol checks here (parameters,
 * the subject token's signature and liveness), the policy in the domain's token exchange, and
 * the token minted by oidc-provider's AccessToken model — signed with the current key, counted
 * and evented like every other access token.
 */
export function installTokenExchange(provider: Provider, deps: TokenExchangeGrantDeps): void {
  async function handler(ctx: TokenEndpointGrantContext<Params>): Promise<void> {
    const params = ctx.oidc.params;
    const missing = (['subject_token', 'subject_token_type'] as const).filter((p) => !params[p]);
    if (missing.length) throw new errors.InvalidRequest(`missing required parameter(s) ${missing.join(', ')}`);
    if (params.subject_token_type !== ACCESS_TOKEN_TYPE) throw new errors.InvalidRequest(`subject_token_type must be ${ACCESS_TOKEN_TYPE}`);
    // Delegation only: the actor is always the authenticated client, named in `act`.
    if (params.actor_token !== undefined || params.actor_token_type !== undefined) throw new errors.InvalidRequest('actor_token is not supported: the acting party is the authenticated client');
    if (params.requested_token_type !== undefined && params.requested_token_type !== ACCESS_TOKEN_TYPE) throw new errors.InvalidRequest(`requested_token_type must be ${ACCESS_TOKEN_TYPE}`);
    if (params.audience !== undefined) throw new errors.InvalidTarget('name the target with resource (a resource indicator), not audience');
    if (!params.resource) throw new errors.InvalidRequest('missing required parameter resource');
    // Exchanged tokens are not DPoP-bound yet: a proof is refused rather than ignored, and a client
    // that requires bound tokens gets none by exchange (fail closed; see docs/TOKENS.md).
    if (ctx.get('dpop')) throw new errors.InvalidRequest('token exchange does not issue DPoP-bound tokens yet; send the request without a DPoP proof');
    if ((ctx.oidc.client as { dpopBoundAccessTokens?: boolean } | undefined)?.dpopBoundAccessTokens) {
      throw new errors.UnauthorizedClient('this client requires DPoP-bound tokens, which token exchange does not issue yet');
    }

    const claims = await deps.tokens.verify(params.subject_token!);
    // Only a user's token can be exchanged: a service's own token has no user to act for.
    if (!claims || !claims.sub || !claims.grant_id) throw unusable();
    const liveness = await deps.tokens.liveness(claims);
    if (!liveness.active) throw unusable();

    const client = exchangingClient(ctx.oidc.client as never);
    const act = asActor(claims.act);
    const subject: SubjectToken = {
      jti: claims.jti,
      sub: claims.sub,
      ...(claims.client_id ? { clientId: claims.client_id } : {}),
      audience: Array.isArray(claims.aud) ? claims.aud : claims.aud ? [claims.aud] : [],
      expiresAt: claims.exp,
      grantId: claims.grant_id,
      ...(act ? { act } : {}),
      ...(liveness.acting ? { acting: liveness.acting } : {}),
    };
    let issued: ExchangedToken;
    try {
      issued = await deps.exchange.authorize({ client, subject, resource: params.resource, ...(params.scope !== undefined ? { scope: params.scope.split(' ').filter(Boolean) } : {}) });
    } catch (error) {
      if (!(error instanceof TokenExchangeRefused)) throw error;
      if (error.reason === 'invalid_target') throw new errors.InvalidTarget(error.message);
      if (error.reason === 'invalid_scope') throw new errors.InvalidScope(error.message, params.scope ?? '');
      throw new errors.InvalidGrant(error.message);
    }

    const token = new provider.AccessToken({
      accountId: subject.sub,
      client: ctx.oidc.client,
      // The user's grant: revoking it (logout everywhere, the user's sessions API) ends this token too.
      grantId: subject.grantId,
      gty: TOKEN_EXCHANGE_GRANT,
      scope: issued.scope.join(' ') || undefined,
      expiresIn: issued.expiresIn,
    });
    token.resourceServer = new provider.ResourceServer(issued.resource.uri, resourceServerInfo(issued.resource, issued.scope));
    EXCHANGE_CLAIMS.set(token, issued.claims);
    ctx.oidc.entity('AccessToken', token);
    const value = await token.save();
    await deps.exchange.record({ client, subject, issued, jti: token.jti, requestId: ctx.state.requestId as string | undefined, ip: ctx.ip });

    ctx.body = {
      access_token: value,
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: token.tokenType,
      expires_in: token.expiration,
      ...(token.scope ? { scope: token.scope } : {}),
    };
  }

  provider.registerGrantType<Params>(TOKEN_EXCHANGE_GRANT, async (ctx) => {
    try {
      await handler(ctx);
    } catch (error) {
      throw error instanceof StorageUnavailableError ? new TemporarilyUnavailable(error) : error;
    }
  }, PARAMETERS);
}
