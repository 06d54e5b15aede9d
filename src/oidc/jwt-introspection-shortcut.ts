import type { Context, Middleware } from 'koa';
import { decodeProtectedHeader } from 'jose';
import type Provider from 'oidc-provider';

import { markAnsweredBeforeProvider } from '../http/protocol-request.js';
import type { StructuredTokenAnswers } from './structured-tokens.js';

/** oidc-provider's introspection route (its default; Gatehouse does not move it). */
const INTROSPECTION_PATH = '/token/introspection';

/** RFC 6749 §2.3.1 / oidc-provider: a client id or secret is VSCHAR (printable ASCII). */
const VSCHAR = /^[\x20-\x7E]*$/;
const BASE64 = /^([A-Za-z0-9+/]+)(={0,2})$/;
/** The only parameters of the requests taken here; any other (client_id, client_secret, an assertion) goes to oidc-provider. */
const PARAMETERS = new Set(['token', 'token_type_hint']);
/** Headers that bring CORS or other client authentication into play: oidc-provider's to handle. */
const OTHER_MECHANISMS = ['origin', 'dpop', 'oauth-client-attestation', 'oauth-client-attestation-pop'];

export interface JwtIntrospectionShortcutDeps {
  /** The provider serving now and the answers made with its keys (both change when keys rotate). */
  current: () => { provider: Provider; answers: StructuredTokenAnswers };
}

/**
 * Answers the commonest introspection — a service authenticating with client_secret_basic and
 * asking about one of Gatehouse's own JWT access tokens — before oidc-provider, with the same
 * answer it would get there (oidc-provider would authenticate the client, refuse the JWT as
 * "structured", and Gatehouse would answer in structured-tokens.ts). It is the hot path of every
 * service that wants a live answer, and oidc-provider's route costs several times the answer
 * (its middleware chain, the refusal it builds and renders, a client lookup that hashes the
 * client's metadata).
 *
 * It only takes what it can check exactly as oidc-provider would: a form with `token` (and
 * perhaps `token_type_hint`), each once; well-formed Basic credentials of a client registered
 * for client_secret_basic or _post whose secret matches; a token that is a JWS. Anything else —
 * every failure included — goes on to oidc-provider unchanged, so errors, their audit and their
 * wording stay oidc-provider's: a wrong secret is oidc-provider's 401 as before.
 */
export function jwtIntrospectionShortcut(deps: JwtIntrospectionShortcutDeps): Middleware {
  return async function answerJwtIntrospection(ctx, next) {
    if (ctx.method !== 'POST' || ctx.path !== INTROSPECTION_PATH) return next();
    const token = plainTokenParameter(ctx);
    const credentials = token && basicCredentialsAsProviderReadsThem(ctx.get('authorization'));
    if (!token || !credentials || !isJws(token)) return next();

    const { provider, answers } = deps.current();
    const client = await provider.Client.find(credentials.clientId);
    if (!client || !['client_secret_basic', 'client_secret_post'].includes(String(client.clientAuthMethod))) return next();
    // A client whose introspection answers are signed or encrypted JWTs, or whose secret has an end: oidc-provider decides.
    if (client.introspectionSignedResponseAlg || client.introspectionEncryptedResponseAlg || client.clientSecretExpiresAt) return next();
    if (!(await client.compareClientSecret(credentials.secret))) return next();

    const body = await answers.introspection(client, token);
    markAnsweredBeforeProvider(ctx, { route: 'introspection', client });
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 200;
    ctx.type = 'application/json; charset=utf-8';
    ctx.body = body;
  };
}

/** The token of a urlencoded form holding only `token` and `token_type_hint`, each once and not empty. */
function plainTokenParameter(ctx: Context): string | undefined {
  if (OTHER_MECHANISMS.some((header) => ctx.get(header) !== '')) return undefined;
  if (!ctx.is('application/x-www-form-urlencoded')) return undefined;
  // Parsed once by the protocol input check (koa-protocol-input.ts), from the bytes oidc-provider would read.
  const params = ctx.state.protocolParams as Record<string, unknown> | undefined;
  if (!params || typeof params !== 'object') return undefined;
  for (const [name, value] of Object.entries(params)) {
    if (!PARAMETERS.has(name) || typeof value !== 'string') return undefined;
  }
  return typeof params.token === 'string' && params.token !== '' ? params.token : undefined;
}

/**
 * The client id and secret of a Basic header, only when oidc-provider's client authentication
 * would read the same (valid base64, a colon, form-encoded halves of printable ASCII, a secret).
 */
function basicCredentialsAsProviderReadsThem(header: string): { clientId: string; secret: string } | undefined {
  const parts = header.split(' ');
  if (parts.length !== 2 || parts[0]!.toLowerCase() !== 'basic' || !isCanonicalBase64(parts[1]!)) return undefined;
  const decoded = Buffer.from(parts[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  try {
    const half = (text: string) => decodeURIComponent(text.replace(/\+/g, '%20'));
    const clientId = half(decoded.slice(0, colon));
    const secret = half(decoded.slice(colon + 1));
    return clientId && secret && VSCHAR.test(clientId) && VSCHAR.test(secret) ? { clientId, secret } : undefined;
  } catch {
    return undefined;
  }
}

/** Base64 as oidc-provider's client authentication accepts it: padding, if any, exactly right. */
function isCanonicalBase64(text: string): boolean {
  const match = BASE64.exec(text);
  if (!match) return false;
  const remainder = match[1]!.length % 4;
  return match[2] ? text.length % 4 === 0 && match[2].length === 4 - remainder : remainder !== 1;
}

/** oidc-provider's own test of a "structured" token (reject_structured_tokens.js). */
function isJws(token: string): boolean {
  try {
    return Boolean(decodeProtectedHeader(token));
  } catch {
    return false;
  }
}
