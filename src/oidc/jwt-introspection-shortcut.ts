import type { Middleware } from 'koa';
import { decodeProtectedHeader } from 'jose';
import type Provider from 'oidc-provider';

import { markAnsweredBeforeProvider } from '../http/protocol-request.js';
import { plainBasicClient, plainForm } from './plain-client-request.js';
import type { StructuredTokenAnswers } from './structured-tokens.js';

/** oidc-provider's introspection route (its default; Gatehouse does not move it). */
const INTROSPECTION_PATH = '/token/introspection';

/** The only parameters of the requests taken here; any other (client_id, client_secret, an assertion) goes to oidc-provider. */
const PARAMETERS = new Set(['token', 'token_type_hint']);

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
    const token = plainForm(ctx, PARAMETERS)?.token;
    if (!token) return next();
    const { provider, answers } = deps.current();
    // A token verified before is a JWS: decoding its header again would cost each repeated introspection.
    if (!answers.isVerifiedJwt(token) && !isJws(token)) return next();

    const client = await plainBasicClient(provider, ctx.get('authorization'));
    // A client whose introspection answers are signed or encrypted JWTs: oidc-provider decides.
    if (!client || client.introspectionSignedResponseAlg || client.introspectionEncryptedResponseAlg) return next();

    const body = await answers.introspection(client, token);
    markAnsweredBeforeProvider(ctx, { route: 'introspection', client });
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 200;
    ctx.type = 'application/json; charset=utf-8';
    ctx.body = body;
  };
}

/** oidc-provider's own test of a "structured" token (reject_structured_tokens.js). */
function isJws(token: string): boolean {
  try {
    return Boolean(decodeProtectedHeader(token));
  } catch {
    return false;
  }
}
