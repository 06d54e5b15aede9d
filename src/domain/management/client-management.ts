import { randomBytes } from 'node:crypto';

import type { ClientMetadata, ClientRecord, ClientRepository } from '../ports/client-repository.js';
import type { Repositories } from '../ports/repositories.js';
import type { ResourceRepository } from '../ports/resource-repository.js';
import {
  DEFAULT_RESOURCE_PROPERTY, FIRST_PARTY_PROPERTY, LOGOUT_ENDS_OFFLINE_GRANTS_PROPERTY, OIDC_SCOPES, REGISTERED_PROPERTY, RESOURCE_SCOPES_PROPERTY, RESOURCES_PROPERTY, TOKEN_EXCHANGE_RESOURCES_PROPERTY,
} from '../client-metadata.js';
import { descriptiveFields, registeredClientInput } from '../clients/registered-client.js';
import {
  CLIENT_SECRET_HASHES_PROPERTY, IMPORTED_SECRET_PROPERTY, generateClientSecret, hashClientSecret, isLive, isPlaceholder, isSecretHashList, rotateSecretHashes, unusableSecretPlaceholder, type ClientSecretHash,
} from '../clients/client-secret.js';
import { ConflictError, DuplicateError, NotFoundError, ValidationError, type FieldError } from '../errors.js';
import { DEVICE_CODE_GRANT, TOKEN_EXCHANGE_GRANT, type AUTH_METHODS, type GRANT_TYPES } from '../schemas/client-schemas.js';
import type { AuditedChange, ChangeOrigin } from './audited-change.js';

export type GrantType = typeof GRANT_TYPES[number];
export type AuthMethod = typeof AUTH_METHODS[number];

/** A client as the management API and CLI take it (camelCase; `scope` may mix OIDC and resource scopes, as in the import). */
export interface ClientInput {
  clientId?: string;
  clientName?: string;
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  grantTypes?: GrantType[];
  scope?: string;
  resources?: string[];
  resourceScopes?: string[];
  /** One of resources; null removes it (in a change). */
  defaultResource?: string | null;
  tokenEndpointAuthMethod?: AuthMethod;
  /** Authorization requests only through PAR (RFC 9126). */
  requirePushedAuthorizationRequests?: boolean;
  /** RFC 9449 `dpop_bound_access_tokens`: token requests without a DPoP proof are refused. */
  dpopBoundAccessTokens?: boolean;
  /** Resources the client may target by token exchange (each one of resources). */
  tokenExchangeResources?: string[];
  /** Trusted first party: no consent page for its users. */
  firstParty?: boolean;
  /** RP-initiated logout also ends its offline_access grants. */
  logoutEndsOfflineGrants?: boolean;
  /** Back-Channel Logout 1.0 endpoint; null removes it (in a change). */
  backchannelLogoutUri?: string | null;
  /** Logout tokens carry `sid`. */
  backchannelLogoutSessionRequired?: boolean;
}

/** A client as shown: never its secrets or their hashes, only how many are accepted and when the previous one stops. */
export interface ClientView {
  clientId: string;
  clientName?: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: string[];
  /** The OpenID Connect scopes the client may request. */
  scope: string;
  resources: string[];
  resourceScopes: string[];
  defaultResource?: string;
  tokenEndpointAuthMethod: string;
  requirePushedAuthorizationRequests: boolean;
  /** Whether every access token of the client must be DPoP-bound. */
  dpopBoundAccessTokens: boolean;
  tokenExchangeResources: string[];
  firstParty: boolean;
  logoutEndsOfflineGrants: boolean;
  backchannelLogoutUri?: string;
  backchannelLogoutSessionRequired: boolean;
  /** Registered by the client itself (RFC 7591), not made by an operator. */
  registeredDynamically: boolean;
  /** Secrets accepted now (2 during a rotation's overlap; 0 for public clients). */
  secretCount: number;
  /** When the secret(s) replaced by the last rotation stop being accepted. */
  previousSecretExpiresAt?: string;
  createdAt: Date;
  updatedAt: Date;
}

/** A secret chosen by whoever declared the client (an import file) instead of a generated one. */
export interface DeclaredSecret { secret?: string }
/** oidc-provider's own check of a client's metadata; throws its InvalidClientMetadata. */
export type MetadataValidator = (metadata: ClientMetadata) => Promise<void>;

export interface ClientManagementDeps {
  clients: ClientRepository;
  resources: ResourceRepository;
  change: AuditedChange;
  /** How long a rotated-out secret keeps working (config.clientSecretOverlapSeconds). */
  secretOverlapSeconds: number;
  /**
   * A second opinion on the metadata built here: the server passes oidc-provider's own check.
   * Gatehouse's rules (this module) are the authority and stricter than the provider's for every
   * field a client can be given (test/client-metadata-rules.test.ts checks that over generated
   * inputs), so processes that serve no provider — the CLI — need none.
   */
  validateMetadata?: MetadataValidator;
  /** Ends a grant and the tokens issued from it (a deleted client's user authorisations). */
  revokeGrant?: (grantId: string) => Promise<void>;
  /** Drops this process's cached copy of a client, so a change applies here at once (other nodes: within their cache time). */
  forgetClient?: (clientId: string) => void;
  now?: () => number;
}

const oidcScopes = new Set<string>(OIDC_SCOPES);
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * Clients: create, change, delete, rotate secrets. The API and the CLI both use this, so a client
 * is held to the same rules however it is made: Gatehouse's own (redirect URIs, resources that
 * exist, scopes those resources offer) and then oidc-provider's full metadata validation.
 * Confidential clients' secrets are generated here, shown once, and stored only as hashes.
 */
export function createClientManagement(deps: ClientManagementDeps) {
  const now = deps.now ?? Date.now;

  function view(record: ClientRecord): ClientView {
    const m = record.metadata;
    const live = ((m[CLIENT_SECRET_HASHES_PROPERTY] as ClientSecretHash[] | undefined) ?? []).filter((h) => isLive(h, now()));
    const ending = live.map((h) => h.expiresAt).filter((e): e is string => Boolean(e)).sort();
    return {
      clientId: m.client_id,
      ...(typeof m.client_name === 'string' ? { clientName: m.client_name } : {}),
      redirectUris: (m.redirect_uris as string[] | undefined) ?? [],
      postLogoutRedirectUris: (m.post_logout_redirect_uris as string[] | undefined) ?? [],
      grantTypes: (m.grant_types as string[] | undefined) ?? ['authorization_code'],
      scope: (m.scope as string | undefined) ?? '',
      resources: (m[RESOURCES_PROPERTY] as string[] | undefined) ?? [],
      resourceScopes: (m[RESOURCE_SCOPES_PROPERTY] as string[] | undefined) ?? [],
      ...(typeof m[DEFAULT_RESOURCE_PROPERTY] === 'string' ? { defaultResource: m[DEFAULT_RESOURCE_PROPERTY] as string } : {}),
      tokenEndpointAuthMethod: (m.token_endpoint_auth_method as string | undefined) ?? 'client_secret_basic',
      requirePushedAuthorizationRequests: m.require_pushed_authorization_requests === true,
      dpopBoundAccessTokens: m.dpop_bound_access_tokens === true,
      tokenExchangeResources: (m[TOKEN_EXCHANGE_RESOURCES_PROPERTY] as string[] | undefined) ?? [],
      firstParty: m[FIRST_PARTY_PROPERTY] === true,
      logoutEndsOfflineGrants: m[LOGOUT_ENDS_OFFLINE_GRANTS_PROPERTY] === true,
      ...(typeof m.backchannel_logout_uri === 'string' ? { backchannelLogoutUri: m.backchannel_logout_uri } : {}),
      backchannelLogoutSessionRequired: m.backchannel_logout_session_required === true,
      registeredDynamically: m[REGISTERED_PROPERTY] === true,
      secretCount: live.length,
      ...(ending.length ? { previousSecretExpiresAt: ending[ending.length - 1] } : {}),
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
    };
  }

  async function findRecord(clientId: string, repos?: Repositories): Promise<ClientRecord> {
    const record = await (repos?.clients ?? deps.clients).findRecord(clientId);
    if (!record) throw new NotFoundError('client');
    return record;
  }

  /**
   * The metadata a (changed) client has, checked. `current` is the stored metadata for changes;
   * `secretHashes` replaces the stored hashes when a new secret was generated.
   */
  async function buildMetadata(
    resources: ResourceRepository, clientId: string, input: ClientInput, current: ClientMetadata | undefined, secretHashes: ClientSecretHash[] | undefined, importedSecretHash?: string,
  ): Promise<ClientMetadata> {
    const before = current ? view({ metadata: current, createdAt: new Date(0), updatedAt: new Date(0) }) : undefined;
    const errors: FieldError[] = [];
    const authMethod = input.tokenEndpointAuthMethod ?? (before?.tokenEndpointAuthMethod as AuthMethod | undefined) ?? 'client_secret_basic';
    const grantTypes = input.grantTypes ?? before?.grantTypes ?? ['authorization_code'];
    const redirectUris = input.redirectUris ?? before?.redirectUris ?? [];
    const postLogoutRedirectUris = input.postLogoutRedirectUris ?? before?.postLogoutRedirectUris ?? [];
    const resourceList = input.resources ?? before?.resources ?? [];
    // A new resource list without the old default drops it; null drops it explicitly.
    const defaultResource = input.defaultResource === null ? undefined
      : input.defaultResource ?? (input.resources && before?.defaultResource && !input.resources.includes(before.defaultResource) ? undefined : before?.defaultResource);
    const clientName = input.clientName ?? before?.clientName;
    const requirePar = input.requirePushedAuthorizationRequests ?? before?.requirePushedAuthorizationRequests ?? false;
    const dpopBound = input.dpopBoundAccessTokens ?? before?.dpopBoundAccessTokens ?? false;
    // Like the default: a new resource list drops the exchange targets it no longer holds.
    const exchangeResources = input.tokenExchangeResources ?? (before?.tokenExchangeResources ?? []).filter((uri) => resourceList.includes(uri));
    const firstParty = input.firstParty ?? before?.firstParty ?? false;
    const logoutEndsOfflineGrants = input.logoutEndsOfflineGrants ?? before?.logoutEndsOfflineGrants ?? false;
    const backchannelLogoutUri = input.backchannelLogoutUri === null ? undefined : input.backchannelLogoutUri ?? before?.backchannelLogoutUri;
    const backchannelSessionRequired = input.backchannelLogoutSessionRequired ?? before?.backchannelLogoutSessionRequired ?? false;

    // `scope` is the import's single string: its OIDC part replaces the OIDC scopes; resource
    // scopes in it (with resourceScopes) replace the resource scopes. Scopes not given stay.
    const scopeWords = input.scope?.split(' ').filter(Boolean);
    const oidcPart = scopeWords?.filter((s) => oidcScopes.has(s));
    const resourcePart = scopeWords?.filter((s) => !oidcScopes.has(s)) ?? [];
    const scope = oidcPart ? oidcPart.join(' ') : (before?.scope ?? '');
    const resourceScopes = resourcePart.length || input.resourceScopes
      ? [...new Set([...resourcePart, ...(input.resourceScopes ?? [])])]
      : (before?.resourceScopes ?? []);

    const checkUris = (uris: string[], field: string) => uris.forEach((uri, i) => {
      const problem = redirectUriProblem(uri);
      if (problem) errors.push({ field: `${field}.${i}`, detail: problem });
    });
    checkUris(redirectUris, 'redirectUris');
    checkUris(postLogoutRedirectUris, 'postLogoutRedirectUris');
    if (grantTypes.includes('authorization_code') && !redirectUris.length) errors.push({ field: 'redirectUris', detail: 'must list at least one URI for the authorization_code grant' });
    if (grantTypes.includes('refresh_token') && !grantTypes.includes('authorization_code') && !grantTypes.includes(DEVICE_CODE_GRANT)) {
      errors.push({ field: 'grantTypes', detail: `refresh_token needs authorization_code or ${DEVICE_CODE_GRANT}` });
    }
    if (requirePar && !grantTypes.includes('authorization_code')) errors.push({ field: 'requirePushedAuthorizationRequests', detail: 'applies only to the authorization_code grant' });
    if (grantTypes.includes('client_credentials') && authMethod === 'none') errors.push({ field: 'tokenEndpointAuthMethod', detail: 'a public client (none) cannot use client_credentials' });
    if (grantTypes.includes(TOKEN_EXCHANGE_GRANT) && authMethod === 'none') errors.push({ field: 'tokenEndpointAuthMethod', detail: 'a public client (none) cannot use token exchange' });
    // Skipping consent is for a client whose identity is proven: any app on a device could claim a public one's loopback redirect.
    if (firstParty && authMethod === 'none') errors.push({ field: 'firstParty', detail: 'a public client (none) cannot skip consent' });
    if (backchannelLogoutUri !== undefined) {
      // The same rule as redirect URIs (https; http only on loopback; no fragment, as the spec says).
      const problem = redirectUriProblem(backchannelLogoutUri);
      if (problem) errors.push({ field: 'backchannelLogoutUri', detail: problem });
    }

    const offered = new Set<string>();
    for (const [i, uri] of resourceList.entries()) {
      const resource = await resources.find(uri);
      if (!resource) errors.push({ field: `resources.${i}`, detail: `no resource ${uri}` });
      else resource.scopes.forEach((s) => offered.add(s));
    }
    if (defaultResource !== undefined && !resourceList.includes(defaultResource)) errors.push({ field: 'defaultResource', detail: 'must be one of resources' });
    exchangeResources.forEach((uri, i) => {
      if (!resourceList.includes(uri)) errors.push({ field: `tokenExchangeResources.${i}`, detail: 'must be one of resources' });
    });
    for (const s of resourceScopes) {
      if (offered.has(s)) continue;
      const field = resourcePart.includes(s) ? 'scope' : input.resourceScopes ? `resourceScopes.${input.resourceScopes.indexOf(s)}` : 'resources';
      errors.push({ field, detail: `scope ${s} is neither an OpenID Connect scope nor offered by the client's resources` });
    }
    if (errors.length) throw invalid(errors);

    const confidential = authMethod !== 'none';
    const hashes = confidential ? (secretHashes ?? (current?.[CLIENT_SECRET_HASHES_PROPERTY] as ClientSecretHash[] | undefined) ?? []) : undefined;
    const placeholder = confidential ? (isPlaceholder(current?.client_secret) ? current.client_secret : unusableSecretPlaceholder()) : undefined;
    const imported = confidential ? importedSecretHash ?? current?.[IMPORTED_SECRET_PROPERTY] : undefined;
    const metadata: ClientMetadata = {
      client_id: clientId,
      ...(clientName ? { client_name: clientName } : {}),
      ...(placeholder ? { client_secret: placeholder } : {}),
      redirect_uris: redirectUris,
      post_logout_redirect_uris: postLogoutRedirectUris,
      grant_types: grantTypes,
      response_types: grantTypes.includes('authorization_code') ? ['code'] : [],
      ...(scope ? { scope } : {}),
      token_endpoint_auth_method: authMethod,
      // Only when on: clients made before PAR existed keep their metadata as it was.
      ...(requirePar ? { require_pushed_authorization_requests: true } : {}),
      ...(dpopBound ? { dpop_bound_access_tokens: true } : {}),
      [RESOURCES_PROPERTY]: resourceList,
      [RESOURCE_SCOPES_PROPERTY]: resourceScopes,
      ...(defaultResource ? { [DEFAULT_RESOURCE_PROPERTY]: defaultResource } : {}),
      ...(exchangeResources.length ? { [TOKEN_EXCHANGE_RESOURCES_PROPERTY]: exchangeResources } : {}),
      ...(firstParty ? { [FIRST_PARTY_PROPERTY]: true } : {}),
      ...(logoutEndsOfflineGrants ? { [LOGOUT_ENDS_OFFLINE_GRANTS_PROPERTY]: true } : {}),
      ...(backchannelLogoutUri ? { backchannel_logout_uri: backchannelLogoutUri } : {}),
      ...(backchannelSessionRequired ? { backchannel_logout_session_required: true } : {}),
      ...(hashes ? { [CLIENT_SECRET_HASHES_PROPERTY]: hashes } : {}),
      ...(imported !== undefined ? { [IMPORTED_SECRET_PROPERTY]: imported } : {}),
      // A registered client stays one (and keeps what it said about itself) through an operator's change.
      ...(current?.[REGISTERED_PROPERTY] === true ? { ...descriptiveFields(current), [REGISTERED_PROPERTY]: true } : {}),
    };
    try {
      await deps.validateMetadata?.(metadata);
    } catch (error) {
      const description = providerComplaint(error);
      if (description === undefined) throw error;
      throw invalid([{ field: fieldOf(description), detail: description }]);
    }
    return metadata;
  }

  const clientManagement = {
    view,

    async get(clientId: string): Promise<ClientView> {
      return view(await findRecord(clientId));
    },

    /** Whether `secret` is the one last declared for the client (by the import) and its hashes are intact. */
    async isDeclaredSecret(clientId: string, secret: string): Promise<boolean> {
      return isDeclared((await findRecord(clientId)).metadata, hashClientSecret(secret));
    },

    async list(filter: { q?: string; grantType?: string; resource?: string }, page: { limit: number; offset: number }): Promise<{ items: ClientView[]; total: number }> {
      // A resource that does not exist is a mistaken filter, not one no client matches.
      if (filter.resource !== undefined && !(await deps.resources.find(filter.resource))) {
        throw new ValidationError('the filter names something that does not exist', [{ field: 'resource', detail: 'is not a registered resource' }]);
      }
      const { items, total } = await deps.clients.list(filter, page);
      return { items: items.map(view), total };
    },

    /**
     * Creates a client; a confidential one gets a generated secret, returned here once, unless
     * `declared.secret` chooses it (the import's `client_secret`, which is then not returned).
     */
    async create(origin: ChangeOrigin, input: ClientInput, declared: DeclaredSecret = {}): Promise<{ client: ClientView; clientSecret?: string }> {
      const clientId = input.clientId ?? `client_${randomBytes(12).toString('base64url')}`;
      const confidential = (input.tokenEndpointAuthMethod ?? 'client_secret_basic') !== 'none';
      const generated = confidential && declared.secret === undefined ? generateClientSecret() : undefined;
      const secret = confidential ? declared.secret ?? generated : undefined;
      const hashes = secret ? [{ hash: hashClientSecret(secret), createdAt: new Date(now()).toISOString() }] : undefined;
      const importedHash = confidential && declared.secret !== undefined ? hashClientSecret(declared.secret) : undefined;
      const client = await deps.change(origin, async (repos, record) => {
        const metadata = await buildMetadata(repos.resources, clientId, input, undefined, hashes, importedHash);
        try {
          await repos.clients.insert(metadata);
        } catch (error) {
          if (error instanceof DuplicateError) throw new ConflictError(`a client with id ${clientId} already exists`, { fields: [{ field: 'clientId', detail: 'is taken' }] });
          throw error;
        }
        const after = view(await findRecord(clientId, repos));
        await record('client.created', `client:${clientId}`, { after });
        return after;
      });
      deps.forgetClient?.(clientId);
      return { client, ...(generated ? { clientSecret: generated } : {}) };
    },

    /**
     * Changes a client. Turning a public client confidential generates its first secret
     * (returned once); turning a confidential one public drops its secrets. A `declared.secret`
     * (the import's) replaces the secrets only when it differs from the one declared last time,
     * so re-importing a file keeps a secret rotated since.
     */
    async update(origin: ChangeOrigin, clientId: string, input: Omit<ClientInput, 'clientId'>, declared: DeclaredSecret = {}): Promise<{ client: ClientView; clientSecret?: string }> {
      let secret: string | undefined;
      const client = await deps.change(origin, async (repos, record) => {
        const current = await repos.clients.findForUpdate(clientId);
        if (!current) throw new NotFoundError('client');
        const wasConfidential = (current.metadata.token_endpoint_auth_method ?? 'client_secret_basic') !== 'none';
        const confidential = (input.tokenEndpointAuthMethod ?? current.metadata.token_endpoint_auth_method ?? 'client_secret_basic') !== 'none';
        let hashes: ClientSecretHash[] | undefined;
        let importedHash: string | undefined;
        if (confidential && declared.secret !== undefined) {
          importedHash = hashClientSecret(declared.secret);
          const unchanged = wasConfidential && isDeclared(current.metadata, importedHash);
          hashes = unchanged ? undefined : [{ hash: importedHash, createdAt: new Date(now()).toISOString() }];
        } else {
          secret = confidential && !wasConfidential ? generateClientSecret() : undefined;
          hashes = secret ? [{ hash: hashClientSecret(secret), createdAt: new Date(now()).toISOString() }] : undefined;
        }
        const metadata = await buildMetadata(repos.resources, clientId, input, current.metadata, hashes, importedHash);
        await repos.clients.replace(metadata);
        const before = view(current);
        const after = view(await findRecord(clientId, repos));
        await record('client.updated', `client:${clientId}`, { before, after });
        return after;
      });
      deps.forgetClient?.(clientId);
      return { client, ...(secret ? { clientSecret: secret } : {}) };
    },

    /**
     * Stores a client registered (RFC 7591) or changed by its registration access token
     * (RFC 7592), as oidc-provider hands it over after its own checks: held to the same rules as
     * an operator's client, with Gatehouse's metadata (resources) from the registration policy.
     * A secret oidc-provider generated is stored only as its hash (the registrant got it in the
     * response). An operator-made client cannot be changed this way.
     */
    async saveRegistered(origin: ChangeOrigin, metadata: ClientMetadata, policy: { resources: readonly string[] }): Promise<ClientView> {
      const clientId = metadata.client_id;
      const input = registeredClientInput(metadata, policy.resources);
      const secret = typeof metadata.client_secret === 'string' && !isPlaceholder(metadata.client_secret) ? metadata.client_secret : undefined;
      const hashes = secret ? [{ hash: hashClientSecret(secret), createdAt: new Date(now()).toISOString() }] : undefined;
      const client = await deps.change(origin, async (repos, record) => {
        const current = await repos.clients.findForUpdate(clientId);
        if (current && current.metadata[REGISTERED_PROPERTY] !== true) throw new ConflictError('only a dynamically registered client can be changed through registration');
        if (!input.resourceScopes) {
          const offered = await Promise.all(policy.resources.map(async (uri) => (await repos.resources.find(uri))?.scopes ?? []));
          input.resourceScopes = [...new Set(offered.flat())];
        }
        const built = await buildMetadata(repos.resources, clientId, input, current?.metadata, hashes);
        const stored = { ...built, ...descriptiveFields(metadata), [REGISTERED_PROPERTY]: true };
        if (current) await repos.clients.replace(stored);
        else await repos.clients.insert(stored);
        const after = view(await findRecord(clientId, repos));
        await record(current ? 'client.registration_updated' : 'client.registered', `client:${clientId}`, current ? { before: view(current), after } : { after });
        return after;
      });
      deps.forgetClient?.(clientId);
      return client;
    },

    /** Deletes a dynamically registered client at its own request (RFC 7592), as `remove` does. */
    async removeRegistered(origin: ChangeOrigin, clientId: string): Promise<void> {
      if ((await findRecord(clientId)).metadata[REGISTERED_PROPERTY] !== true) throw new ConflictError('only a dynamically registered client can be deleted through registration');
      await clientManagement.remove(origin, clientId);
    },

    /**
     * Deletes a client with its resource roles, and revokes the grants users gave it (their
     * refresh tokens and the access tokens minted from them die with them).
     */
    async remove(origin: ChangeOrigin, clientId: string): Promise<void> {
      await findRecord(clientId);
      // Grants are revoked first: if that fails the client is still there to retry on.
      const grantIds = await deps.clients.grantIdsOf(clientId);
      for (const grantId of grantIds) await deps.revokeGrant?.(grantId);
      const deleting = deps.change(origin, async (repos, record) => {
        const before = await repos.clients.findForUpdate(clientId);
        if (!before || !(await repos.clients.delete(clientId))) throw new NotFoundError('client');
        await record('client.deleted', `client:${clientId}`, { before: view(before), revokedGrants: grantIds.length, grantIds });
      });
      try {
        await deleting;
      } catch (error) {
        // The grants are already revoked: that must be on record even though the delete failed.
        if (grantIds.length) await deps.change(origin, (_repos, record) => record('client.grants_revoked', `client:${clientId}`, { grants: grantIds.length, deleteFailed: true }));
        throw error;
      }
      deps.forgetClient?.(clientId);
      // Grants made while this request ran (the client can get no more now).
      for (const grantId of await deps.clients.grantIdsOf(clientId)) await deps.revokeGrant?.(grantId);
    },

    /**
     * A new secret, accepted at once and shown once; the previous one keeps working for the
     * configured overlap, so the client's deployments can switch without an outage.
     */
    async rotateSecret(origin: ChangeOrigin, clientId: string): Promise<{ clientId: string; clientSecret: string; previousSecretExpiresAt?: string; client: ClientView }> {
      const secret = generateClientSecret();
      const result = await deps.change(origin, async (repos, record) => {
        const current = await repos.clients.findForUpdate(clientId);
        if (!current) throw new NotFoundError('client');
        if ((current.metadata.token_endpoint_auth_method ?? 'client_secret_basic') === 'none') {
          throw new ConflictError('a public client has no secret to rotate', { fields: [{ field: 'clientId', detail: 'is a public client (token_endpoint_auth_method none)' }] });
        }
        const rotated = rotateSecretHashes(current.metadata[CLIENT_SECRET_HASHES_PROPERTY] as ClientSecretHash[] | undefined, hashClientSecret(secret), now(), deps.secretOverlapSeconds);
        await repos.clients.replace({ ...current.metadata, [CLIENT_SECRET_HASHES_PROPERTY]: rotated.hashes });
        const after = view(await findRecord(clientId, repos));
        await record('client.secret_rotated', `client:${clientId}`, {
          secretCount: after.secretCount, previousSecretExpiresAt: rotated.previousSecretExpiresAt ?? null, overlapSeconds: deps.secretOverlapSeconds,
        });
        return { previousSecretExpiresAt: rotated.previousSecretExpiresAt, client: after };
      });
      deps.forgetClient?.(clientId);
      return { clientId, clientSecret: secret, ...result };
    },
  };
  return clientManagement;
}

export type ClientManagement = ReturnType<typeof createClientManagement>;

function isDeclared(metadata: ClientMetadata, hash: string): boolean {
  return metadata[IMPORTED_SECRET_PROPERTY] === hash && isSecretHashList(metadata[CLIENT_SECRET_HASHES_PROPERTY]);
}

function invalid(errors: FieldError[]): ValidationError {
  return new ValidationError(`invalid client: ${errors.map((e) => (e.field ? `${e.field} ${e.detail}` : e.detail)).join('; ')}`, errors);
}

/** Redirect URIs are absolute https URLs, or http ones on a loopback host (development, native apps), without fragments. */
function redirectUriProblem(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'is not an absolute URI';
  }
  if (url.hash || uri.includes('#')) return 'must not contain a fragment';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  return 'must use https (http only on 127.0.0.1, [::1] or localhost)';
}

/** oidc-provider's InvalidClientMetadata description, or undefined for any other error. */
function providerComplaint(error: unknown): string | undefined {
  const e = error as { error?: string; error_description?: string };
  return e?.error === 'invalid_client_metadata' ? e.error_description ?? 'is invalid' : undefined;
}

const FIELD_OF: Record<string, string> = {
  client_id: 'clientId', client_name: 'clientName', redirect_uris: 'redirectUris', post_logout_redirect_uris: 'postLogoutRedirectUris',
  grant_types: 'grantTypes', response_types: 'grantTypes', scope: 'scope', token_endpoint_auth_method: 'tokenEndpointAuthMethod',
  require_pushed_authorization_requests: 'requirePushedAuthorizationRequests',
  [RESOURCES_PROPERTY]: 'resources', [RESOURCE_SCOPES_PROPERTY]: 'resourceScopes', [DEFAULT_RESOURCE_PROPERTY]: 'defaultResource',
  [TOKEN_EXCHANGE_RESOURCES_PROPERTY]: 'tokenExchangeResources', [FIRST_PARTY_PROPERTY]: 'firstParty', dpop_bound_access_tokens: 'dpopBoundAccessTokens',
  [LOGOUT_ENDS_OFFLINE_GRANTS_PROPERTY]: 'logoutEndsOfflineGrants', backchannel_logout_uri: 'backchannelLogoutUri',
  backchannel_logout_session_required: 'backchannelLogoutSessionRequired',
};

/** oidc-provider names the failing property first (`redirect_uris must …`); '' (the whole client) when it names none of ours. */
function fieldOf(description: string): string {
  return FIELD_OF[description.split(' ')[0] ?? ''] ?? '';
}
