import type { Context } from 'koa';

import type { RateLimitGroup } from '../../config/rate-limit-settings.js';
import { basicCredentials } from '../../lib/basic-credentials.js';
import { actorOf, type Caller } from '../api/caller.js';
import { API_PREFIX } from '../api/openapi.js';
import { protocolRequestOf } from '../protocol-request.js';

/** How a refusal is answered: OAuth JSON to clients, problem+json on the API, a page to people. */
export type Audience = 'oauth' | 'problem' | 'page';

/**
 * Where the limit runs: before Gatehouse's routers, or just before oidc-provider (after the
 * protocol input check, which has read the form and so knows a client_id sent in the body).
 */
export type Stage = 'routes' | 'provider';

export interface LimitedEndpoint {
  group: RateLimitGroup;
  audience: Audience;
  stage: Stage;
  matches(method: string, path: string): boolean;
  /**
   * Who the request says it is, unverified: only used to refuse a client already over its quota
   * before any work. Naming someone else's client can only get the request refused, never charge it.
   */
  named?(ctx: Context): string | undefined;
  /** Who the request proved to be, once answered: the key its request is charged to. */
  authenticated?(ctx: Context): string | undefined;
}

const post = (path: string) => (method: string, p: string) => method === 'POST' && (p === path || p === `${path}/`);

/** The payload of a JWT, unverified (undefined if it is not one). */
function unverifiedClaims(jwt: unknown): Record<string, unknown> | undefined {
  if (typeof jwt !== 'string') return undefined;
  try {
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as unknown;
    return claims && typeof claims === 'object' ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The client a token-family request names: Basic credentials, client_id, or a client assertion's subject. */
function namedClient(ctx: Context): string | undefined {
  const basic = basicCredentials(ctx.get('authorization'));
  if (basic) return `client:${basic.clientId}`;
  const params = (ctx.state.protocolParams ?? {}) as Record<string, unknown>;
  const id = typeof params.client_id === 'string' ? params.client_id : unverifiedClaims(params.client_assertion)?.sub;
  return typeof id === 'string' ? `client:${id}` : undefined;
}

/**
 * The client oidc-provider authenticated. Public clients (`none`) prove nothing — anyone may send
 * their client_id, and all their users share it — so their requests count per address.
 */
function authenticatedClient(ctx: Context): string | undefined {
  const client = protocolRequestOf(ctx)?.client;
  if (!client || client.clientAuthMethod === 'none' || ctx.status === 401) return undefined;
  return `client:${client.clientId}`;
}

/** The management API's caller as its bearer token claims to be (an API token is an at+jwt). */
function namedCaller(ctx: Context): string | undefined {
  const claims = unverifiedClaims(/^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'))?.[1]);
  if (!claims) return undefined;
  if (claims.grant_id) return typeof claims.sub === 'string' ? `user:${claims.sub}` : undefined;
  return typeof claims.client_id === 'string' ? `client:${claims.client_id}` : undefined;
}

function authenticatedCaller(ctx: Context): string | undefined {
  const caller = ctx.state.caller as Caller | undefined;
  return caller ? actorOf(caller) : undefined;
}

const oauth = { audience: 'oauth', stage: 'provider', named: namedClient, authenticated: authenticatedClient } as const;

/** Every limited endpoint, by group (docs/DEPLOYMENT.md, "Rate limits"). */
export const LIMITED_ENDPOINTS: readonly LimitedEndpoint[] = [
  { group: 'token', ...oauth, matches: post('/token') },
  { group: 'introspection', ...oauth, matches: post('/token/introspection') },
  { group: 'revocation', ...oauth, matches: post('/token/revocation') },
  { group: 'device', ...oauth, matches: post('/device/auth') },
  // A person typing a user code: the page's own wrong-code limit counts failures, this counts attempts.
  { group: 'device', audience: 'page', stage: 'provider', matches: post('/device') },
  { group: 'login', audience: 'page', stage: 'routes', matches: (method, path) => method === 'POST' && /^\/interaction\/[^/]+\/login\/?$/.test(path) },
  { group: 'registration', audience: 'problem', stage: 'routes', matches: post(`${API_PREFIX}/registrations`) },
  {
    group: 'management', audience: 'problem', stage: 'routes', named: namedCaller, authenticated: authenticatedCaller,
    matches: (_method, path) => (path === API_PREFIX || path.startsWith(`${API_PREFIX}/`)) && !post(`${API_PREFIX}/registrations`)('POST', path),
  },
];
