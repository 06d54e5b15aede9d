import type { Middleware } from 'koa';
import Provider, { errors, type KoaContextWithOIDC } from 'oidc-provider';

import { GATEHOUSE_PROPERTY_PREFIX, OIDC_SCOPES, RESOURCE_SCOPES_PROPERTY } from '../domain/client-metadata.js';
import { isPlaceholder } from '../domain/clients/client-secret.js';
import { SINGLE_USE_POLICY, storedTokenId } from '../domain/clients/initial-access-tokens.js';
import { ConflictError, ValidationError } from '../domain/errors.js';
import type { ChangeOrigin } from '../domain/management/audited-change.js';
import type { ClientManagement } from '../domain/management/client-management.js';
import type { ClientMetadata } from '../domain/ports/client-repository.js';
import { PROVIDER_BODY_LIMIT, replayable } from '../lib/replayable-request.js';

export type RegistrationMode = 'off' | 'initial-access-token' | 'open';


/** oidc-provider's routes of RFC 7591 (POST /reg) and RFC 7592 (GET, PUT, DELETE /reg/:clientId). */
const REGISTRATION_PATH = /^\/reg(?:\/[^/]+)?\/?$/;
const oidcScopes = new Set<string>(OIDC_SCOPES);

/**
 * oidc-provider's registration features for a mode: RFC 7591 at /reg with a registration access
 * token per client, and RFC 7592 reads, updates and deletes with it. Initial access tokens are
 * oidc-provider's own model (stored through the adapter, hashed); a single-use one is consumed
 * atomically by the first registration that presents it.
 */
export function registrationFeatures(mode: RegistrationMode) {
  const enabled = mode !== 'off';
  const withTokens = mode === 'initial-access-token';
  return {
    registration: {
      enabled,
      initialAccessToken: withTokens,
      ...(withTokens ? { policies: { [SINGLE_USE_POLICY]: consumeInitialAccessToken } } : {}),
      issueRegistrationAccessToken: true,
    },
    // A new registration access token with every update: a leaked one stops working at the client's next change.
    registrationManagement: { enabled, rotateRegistrationAccessToken: true },
  };
}

async function consumeInitialAccessToken(ctx: KoaContextWithOIDC): Promise<void> {
  const token = ctx.oidc.entities.InitialAccessToken;
  // Updates (RFC 7592) run the registration's policies again, with no initial access token.
  if (!token) return;
  try {
    await ctx.oidc.provider.InitialAccessToken.adapter.consume(token.jti);
  } catch (error) {
    if (error instanceof errors.InvalidGrant) throw new errors.InvalidToken('initial access token already used');
    throw error;
  }
}

/**
 * Around oidc-provider's registration routes. Before: a registrant may not set Gatehouse's own
 * metadata (`urn:gatehouse:*`: resources, first party, ...), and resource scopes in `scope`
 * (`mcp:tools`, which MCP clients take from a resource's metadata) are moved aside, since
 * oidc-provider accepts only OpenID Connect scopes there. After: the answer shows the client's
 * scope whole and none of Gatehouse's metadata or its stored secret placeholder.
 */
export function registrationBodyMiddleware(mode: RegistrationMode): Middleware {
  return async function registrationBody(ctx, next) {
    if (mode === 'off' || !REGISTRATION_PATH.test(ctx.path)) return next();
    if ((ctx.method === 'POST' || ctx.method === 'PUT') && ctx.is('application/json')) await rewriteBody(ctx);
    await next();
    const body = ctx.body as Record<string, unknown> | undefined;
    if (body && typeof body === 'object' && typeof body.client_id === 'string') ctx.body = publicRegistration(body);
  };
}

async function rewriteBody(ctx: Parameters<Middleware>[0]): Promise<void> {
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of ctx.req) {
    received += (chunk as Buffer).length;
    // oidc-provider refuses it itself: replay what was read so far and let it.
    if (received > PROVIDER_BODY_LIMIT) break;
    chunks.push(chunk as Buffer);
  }
  const bytes = Buffer.concat(chunks);
  let body: unknown;
  try {
    body = JSON.parse(bytes.toString('utf8'));
  } catch {
    ctx.req = replayable(ctx.req, bytes);
    return;
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    ctx.req = replayable(ctx.req, bytes);
    return;
  }
  const metadata = body as Record<string, unknown>;
  const own = Object.keys(metadata).find((key) => key.startsWith(GATEHOUSE_PROPERTY_PREFIX));
  if (own) throw new errors.InvalidClientMetadata(`${own} is set by Gatehouse, not by a registration`);
  if (typeof metadata.scope === 'string') {
    const words = metadata.scope.split(' ').filter(Boolean);
    const resourceScopes = words.filter((s) => !oidcScopes.has(s));
    if (resourceScopes.length) {
      const rest = words.filter((s) => oidcScopes.has(s));
      if (rest.length) metadata.scope = rest.join(' ');
      else delete metadata.scope;
      metadata[RESOURCE_SCOPES_PROPERTY] = resourceScopes;
    }
  }
  const rewritten = Buffer.from(JSON.stringify(metadata));
  ctx.req.headers['content-length'] = String(rewritten.length);
  ctx.req = replayable(ctx.req, rewritten);
}

/** A registration response without Gatehouse's metadata and with the scope as the registrant wrote it. */
function publicRegistration(body: Record<string, unknown>): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (key.startsWith(GATEHOUSE_PROPERTY_PREFIX)) continue;
    if (key === 'client_secret' && isPlaceholder(value)) continue;
    shown[key] = value;
  }
  const resourceScopes = body[RESOURCE_SCOPES_PROPERTY];
  if (Array.isArray(resourceScopes) && resourceScopes.length) {
    shown.scope = [...(typeof body.scope === 'string' && body.scope ? body.scope.split(' ') : []), ...resourceScopes].join(' ');
  }
  return shown;
}

/** Where the adapter sends the clients oidc-provider registers, changes and deletes. */
export interface RegisteredClientStore {
  save(metadata: ClientMetadata): Promise<void>;
  remove(clientId: string): Promise<void>;
}

/**
 * The adapter's Client model writes: through the management rules (audited, secrets hashed),
 * with the resources of the registration policy. The request that caused them is oidc-provider's
 * current context.
 */
export function createRegisteredClientStore(deps: { clients: Pick<ClientManagement, 'saveRegistered' | 'removeRegistered'>; resources: readonly string[] }): RegisteredClientStore {
  return {
    async save(metadata) {
      await asProtocolError(() => deps.clients.saveRegistered(originOf(Provider.ctx), metadata, { resources: deps.resources }));
    },
    async remove(clientId) {
      await asProtocolError(() => deps.clients.removeRegistered(originOf(Provider.ctx), clientId));
    },
  };
}

function originOf(ctx: KoaContextWithOIDC | undefined): ChangeOrigin {
  const initial = ctx?.oidc?.entities.InitialAccessToken;
  const registration = ctx?.oidc?.entities.RegistrationAccessToken;
  const actor = initial ? `initial-access-token:${storedTokenId(initial.jti)}`
    : registration ? `client:${registration.clientId}`
      : 'anonymous';
  return { actor, requestId: ctx?.state?.requestId as string | undefined, ip: ctx?.ip };
}

/** Gatehouse's rules refuse in OAuth's words (RFC 7591 §3.2.2). */
async function asProtocolError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ValidationError) {
      const redirect = error.fields.some((f) => f.field.startsWith('redirectUris') || f.field.startsWith('postLogoutRedirectUris'));
      if (!redirect) throw new errors.InvalidClientMetadata(error.message);
      const refusal = new errors.InvalidRedirectUri();
      refusal.error_description = error.message;
      throw refusal;
    }
    if (error instanceof ConflictError) throw new errors.InvalidClientMetadata(error.message);
    throw error;
  }
}
