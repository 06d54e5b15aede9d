import type { Adapter, Configuration } from 'oidc-provider';
import Provider, { errors } from 'oidc-provider';

import type { Config } from '../config/load-config.js';
import type { Views } from '../interactions/views.js';
import { createErrorPage, wantsHtml } from '../interactions/error-page.js';
import {
  DEFAULT_RESOURCE_PROPERTY, FIRST_PARTY_PROPERTY, LOGOUT_ENDS_OFFLINE_GRANTS_PROPERTY, OIDC_SCOPES, REGISTERED_PROPERTY, RESOURCE_SCOPES_PROPERTY, RESOURCES_PROPERTY, TOKEN_EXCHANGE_RESOURCES_PROPERTY,
} from '../domain/client-metadata.js';
import type { OutboundFetch } from '../lib/outbound-fetch.js';
import { clientIdMetadataDocumentFeature } from './client-id-metadata-documents.js';
import { registrationBodyMiddleware, registrationFeatures } from './client-registration.js';
import { CLIENT_SECRET_HASHES_PROPERTY, isSecretHashList, verifyClientSecret, type ClientSecretHash } from '../domain/clients/client-secret.js';
import { scopeClaims, type AccountClaims } from './account-claims.js';
import { userTokenClaims } from '../domain/claims/token-claims.js';
import type { Rs256SigningKey } from './rs256-signing-key.js';
import type { LabPolicy } from './lab-policy.js';
import type { ClientResources } from './client-resources.js';
import { defaultScopeMiddleware } from './default-scope.js';
import { createDeviceFlow, DEVICE_PATH } from './device-flow.js';
import type { DevicePolling } from '../domain/devices/device-polling.js';
import type { UserCodeEntry } from '../domain/devices/user-code-entry.js';
import { DPOP_SIGNING_ALGS, dpopFeature } from './dpop.js';
import { firstPartyGrantLoader, withFirstPartyConsent, type FirstPartyConsentDeps } from './first-party-consent.js';
import { exchangeClaimsOf, installTokenExchange, type TokenExchangeGrantDeps } from './token-exchange-grant.js';
import type { LogoutNotifier } from '../domain/ports/logout-notifier.js';
import { mayIntrospect, mayRevoke } from './token-policies.js';
import { CookieSigner } from '../lib/cookie-signer.js';
import { authenticationClaims, withMfaCheck, type MfaCheckDeps } from './mfa-check.js';
import { ACR_VALUES } from '../domain/factors/authentication-methods.js';
import { requestAccount } from './request-account.js';

/** The routes of oidc-provider a person's browser navigates to (the rest are called by programs). */
const PAGE_ROUTES = new Set(['authorization', 'resume', 'end_session', 'end_session_confirm', 'end_session_success', 'code_verification', 'device_resume']);

export interface ProviderDeps {
  config: Config;
  adapter: new (name: string) => Adapter;
  /** The signing keys, the one that signs first (keysInSigningOrder). */
  keys: Rs256SigningKey[];
  cookieKeys: string[];
  /** The key DPoP nonces are derived from, the same on every node (see dpop.ts). */
  dpopNonceKey: Buffer;
  accounts: AccountClaims;
  /** Which resources a client may get tokens for (shared with the client_credentials shortcut). */
  clientResources: ClientResources;
  views: Views;
  /** Lab choice, lab switching on refresh, and lab/role claims in access tokens. */
  labPolicy: LabPolicy;
  /** Device authorization grant: the wrong-user-code budget and the pace of polls. */
  devices: { codeEntry: UserCodeEntry; polling: DevicePolling };
  /** RFC 8693 token exchange (delegation): subject-token checks and the domain's policy. */
  tokenExchange: TokenExchangeGrantDeps;
  /** Trusted first-party clients skip the consent page: where their grants are recorded. */
  firstParty: FirstPartyConsentDeps;
  /** Back-channel logout: RP-initiated logout hands its logout tokens here (sent in the background). */
  logouts: LogoutNotifier;
  /** What oidc-provider fetches (client ID metadata documents, jwks_uri) goes through the SSRF guard. */
  outboundFetch: OutboundFetch;
  /** When a sign-in needs a second factor (the login prompt's step-up check, token claims). */
  mfa: MfaCheckDeps;
}

/**
 * Builds the oidc-provider instance: every protocol decision of Gatehouse is in this one
 * configuration. Built again (cheaply) when the signing keys rotate.
 */
export function createProvider(deps: ProviderDeps): Provider {
  const { config, accounts, views } = deps;
  const errorPage = createErrorPage(views);
  const deviceFlow = createDeviceFlow({ views, ...deps.devices });
  const { clientResources } = deps;

  const configuration: Configuration = {
    adapter: deps.adapter,
    clients: [],
    jwks: { keys: deps.keys },
    cookies: {
      // keygrip's interface, faster comparison (src/lib/cookie-signer.ts); oidc-provider takes a keygrip-like object.
      keys: new CookieSigner(deps.cookieKeys),
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    // acr and amr (RFC 8176) ride with `openid`: every ID token says how the person signed in.
    claims: { ...Object.fromEntries(Object.entries(scopeClaims).map(([scope, claims]) => [scope, [...claims]])), openid: ['sub', 'acr', 'amr'] },
    scopes: [...OIDC_SCOPES],
    responseTypes: ['code'],
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    extraParams: ['lab'],
    // Revoking any token of a grant ends the grant, so the JWTs minted from it die too (oidc-provider
    // would keep the grant when an access token is revoked, leaving sibling JWTs active).
    revokeGrantPolicy: () => true,
    // Whether a login's tokens end with the browser session: RP-initiated logout revokes the
    // grants of those that do. offline_access grants outlive it (OIDC's intent) unless the
    // client asks that logout end them too.
    expiresWithSession: async (ctx, source) => !source.scopes.has('offline_access')
      || (ctx.oidc.client as unknown as Record<string, unknown> | undefined)?.[LOGOUT_ENDS_OFFLINE_GRANTS_PROPERTY] === true,
    rotateRefreshToken: (ctx) => deps.labPolicy.beforeRefreshRotation(ctx),
    conformIdTokenClaims: true,
    clientDefaults: { id_token_signed_response_alg: 'RS256', grant_types: ['authorization_code'], response_types: ['code'] },
    // Client secrets are stored only as hashes (docs/CLIENT-SECRETS.md), so nothing may use the
    // stored `client_secret` placeholder as a key: no client_secret_jwt, and no HS* or symmetric
    // key-wrapping algorithm anywhere oidc-provider would derive a key from it.
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256'], userinfoSigningAlgValues: ['RS256'], introspectionSigningAlgValues: ['RS256'],
      authorizationSigningAlgValues: ['RS256'],
      clientAuthSigningAlgValues: ['RS256', 'PS256', 'ES256'],
      requestObjectSigningAlgValues: ['RS256', 'PS256', 'ES256'],
      requestObjectEncryptionAlgValues: ['RSA-OAEP-256'],
      dPoPSigningAlgValues: DPOP_SIGNING_ALGS,
    },
    extraClientMetadata: {
      properties: [RESOURCES_PROPERTY, DEFAULT_RESOURCE_PROPERTY, RESOURCE_SCOPES_PROPERTY, CLIENT_SECRET_HASHES_PROPERTY, TOKEN_EXCHANGE_RESOURCES_PROPERTY, FIRST_PARTY_PROPERTY, LOGOUT_ENDS_OFFLINE_GRANTS_PROPERTY, REGISTERED_PROPERTY],
      validator(_ctx, key, value) {
        if (key === CLIENT_SECRET_HASHES_PROPERTY && value !== undefined && !isSecretHashList(value)) {
          throw new errors.InvalidClientMetadata(`${CLIENT_SECRET_HASHES_PROPERTY} must be a list of { hash, createdAt, expiresAt? }`);
        }
        if ((key === RESOURCES_PROPERTY || key === RESOURCE_SCOPES_PROPERTY || key === TOKEN_EXCHANGE_RESOURCES_PROPERTY) && value !== undefined && !(Array.isArray(value) && value.every((v) => typeof v === 'string'))) {
          throw new errors.InvalidClientMetadata(`${key} must be an array of strings`);
        }
        if (key === DEFAULT_RESOURCE_PROPERTY && value !== undefined && typeof value !== 'string') {
          throw new errors.InvalidClientMetadata(`${DEFAULT_RESOURCE_PROPERTY} must be a string`);
        }
        if ((key === FIRST_PARTY_PROPERTY || key === LOGOUT_ENDS_OFFLINE_GRANTS_PROPERTY || key === REGISTERED_PROPERTY) && value !== undefined && typeof value !== 'boolean') {
          throw new errors.InvalidClientMetadata(`${key} must be a boolean`);
        }
      },
    },
    routes: { code_verification: DEVICE_PATH },
    features: {
      devInteractions: { enabled: false },
      // Lets the keys be Rs256SigningKey (node:crypto signing, rs256-signing-key.ts). Experimental in
      // oidc-provider: a release that changes it refuses to start until this ack is updated.
      externalSigningSupport: { enabled: true, ack: 'experimental-01' },
      // RFC 9126. A client's require_pushed_authorization_requests makes it mandatory for that client.
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false, allowUnregisteredRedirectUris: false },
      deviceFlow: deviceFlow.feature,
      introspection: {
        enabled: true,
        // A blocked user's opaque tokens are inactive too (JWTs are checked in structured-tokens).
        allowedPolicy: async (_ctx, client, token) => mayIntrospect(client, token.clientId, (token as { aud?: string | string[] }).aud)
          && (!('accountId' in token) || !token.accountId || Boolean(await accounts.findActiveUser(token.accountId))),
      },
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => mayRevoke(client, token.clientId) },
      userinfo: { enabled: true },
      // RFC 7591/7592, off unless configured; clients are stored through the adapter by the management rules.
      ...registrationFeatures(config.dynamicRegistration),
      clientIdMetadataDocument: clientIdMetadataDocumentFeature({ enabled: config.clientIdMetadataDocuments, hosts: config.clientIdMetadataDocumentHosts }),
      clientCredentials: { enabled: true },
      // RFC 9449: access tokens bound to the client's key (`cnf.jkt` in the JWT); public clients'
      // refresh tokens are bound too (oidc-provider does that for token_endpoint_auth_method none).
      dPoP: dpopFeature({ nonceKey: deps.dpopNonceKey, requireNonce: config.dpopRequireNonce }),
      // OIDC Back-Channel Logout 1.0: client metadata and discovery; sending is Gatehouse's (below).
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          views.render(ctx as never, 'logout', { form, clientName: ctx.oidc.client?.clientName });
        },
        async postLogoutSuccessSource(ctx) {
          views.render(ctx as never, 'logged-out', { clientName: ctx.oidc.client?.clientName });
        },
      },
      resourceIndicators: {
        enabled: true,
        async defaultResource(_ctx, client, oneOf) {
          return oneOf || clientResources.defaultResource(client as unknown as Record<string, unknown>);
        },
        // A token request without `resource` gets the resource the authorization asked for.
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, indicator, client) => clientResources.requireServerInfo(client as unknown as Record<string, unknown>, indicator),
      },
    },
    acrValues: [...ACR_VALUES],
    async extraTokenClaims(ctx, token) {
      const person = token as { accountId?: string };
      if (!('resourceServer' in token) || !token.resourceServer) {
        // Opaque tokens keep them for introspection.
        const claims = authenticationClaims(ctx, person, {}, deps.mfa.policy);
        return Object.keys(claims).length ? claims : undefined;
      }
      const extra: Record<string, unknown> = {};
      // Lets introspection find the grant of a JWT: revoking the grant makes the JWT inactive.
      const grantId = (token as { grantId?: string }).grantId;
      if (grantId) extra.grant_id = grantId;
      // An exchanged token's lab, roles and act were decided by the exchange policy.
      const exchanged = exchangeClaimsOf(token);
      Object.assign(extra, exchanged ?? await deps.labPolicy.accessTokenClaims(ctx, token as never));
      // The user claims the resource chose (`tokenClaims`): e.g. email, a user_id alias, a company_id.
      const accountId = (token as { accountId?: string }).accountId;
      const chosen = accountId ? (await clientResources.find(String(token.resourceServer.audience)))?.tokenClaims : undefined;
      if (accountId && chosen?.length) {
        const user = await accounts.findActiveUser(accountId);
        if (user) Object.assign(extra, userTokenClaims(user, chosen));
      }
      // An exchanged token acts for the subject token's sign-in, not a code or refresh token of its own.
      if (!exchanged) Object.assign(extra, authenticationClaims(ctx, person, { audience: token.resourceServer.audience, labId: extra.lab_id as string | undefined }, deps.mfa.policy));
      return extra;
    },
    async findAccount(ctx, sub) {
      // A sign-in's post resumes in its own request, having just read this account (request-account.ts).
      const user = requestAccount(ctx.state as Record<PropertyKey, unknown> | undefined, sub) ?? await accounts.findActiveUser(sub);
      if (!user) return undefined;
      return {
        accountId: user.id,
        claims: async (_use, scope) => ({ ...(await accounts.claimsFor(user, new Set(scope.split(' ')))), sub: user.id }),
      };
    },
    ttl: {
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? config.accessTokenTtlSeconds,
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? config.accessTokenTtlSeconds,
      AuthorizationCode: 60,
      DeviceCode: config.deviceCodeTtlSeconds,
      IdToken: config.idTokenTtlSeconds,
      RefreshToken: config.refreshTokenTtlSeconds,
      Grant: config.grantTtlSeconds,
      Session: config.sessionTtlSeconds,
      Interaction: 3600,
    },
    loadExistingGrant: firstPartyGrantLoader(deps.firstParty),
    interactions: { policy: withFirstPartyConsent(withMfaCheck(deps.labPolicy.interactionPolicy(), deps.mfa)), url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // oidc-provider calls this for every error it would show as a page; only a person's browser
    // gets one. The token endpoint and the other back-channel routes answer JSON even to a client
    // that accepts text/html (RFC 6749 §5.2).
    async renderError(ctx, out, error) {
      if (PAGE_ROUTES.has(String(ctx.oidc?.route)) && wantsHtml(ctx as never)) {
        errorPage.render(ctx as never, { status: ctx.status, code: out.error, description: out.error_description, requestId: ctx.state.requestId as string | undefined, cause: error });
        return;
      }
      ctx.type = 'application/json; charset=utf-8';
      ctx.body = out;
    },
    fetch: deps.outboundFetch as NonNullable<Configuration['fetch']>,
    clientBasedCORS(_ctx, origin, client) {
      return client.redirectUris?.some((uri) => new URL(uri).origin === origin) ?? false;
    },
  };

  const provider = new Provider(config.issuer, configuration);
  provider.proxy = config.trustProxy;
  // oidc-provider compares a presented secret with the stored `client_secret`; Gatehouse stores
  // only SHA-256 hashes (several during a rotation's overlap, each with its own end) and a
  // never-accepted placeholder, so client_secret_basic/post are checked against the hashes.
  provider.Client.prototype.compareClientSecret = function compareClientSecret(this: Record<string, unknown>, actual: string) {
    return verifyClientSecret(actual, this[CLIENT_SECRET_HASHES_PROPERTY] as ClientSecretHash[] | undefined);
  };
  // oidc-provider would POST logout tokens itself while the logout request waits, without retry;
  // Gatehouse's sender does it in the background, with retries, for every way a session ends.
  provider.Client.prototype.backchannelLogout = async function backchannelLogout(this: { clientId: string }, sub: string, sid: string) {
    deps.logouts.notify([{ clientId: this.clientId, accountId: sub, sid }]);
  };
  provider.use(registrationBodyMiddleware(config.dynamicRegistration));
  provider.use(deviceFlow.middleware);
  installTokenExchange(provider, deps.tokenExchange);
  provider.use(defaultScopeMiddleware({ provider: () => provider, findResource: clientResources.find }));
  return provider;
}
