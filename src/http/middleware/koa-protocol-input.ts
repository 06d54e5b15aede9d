import { parse as parseForm } from 'node:querystring';

import type { Context, Middleware } from 'koa';
import { errors } from 'oidc-provider';

import { basicCredentials } from '../../lib/basic-credentials.js';
import { PROVIDER_BODY_LIMIT, replayable } from '../../lib/replayable-request.js';
import { findUnstorable, unstorableReason, type UnstorableValue } from '../../lib/storable-text.js';


/**
 * Endpoints a person's browser navigates to (authorization, logout, device code entry and its
 * resume); not the device authorization endpoint (/device/auth), which devices call.
 */
const BROWSER_ROUTES = /^\/(auth|session\/end|device(?!\/auth\/?$))(\/|$)/;

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * JWT parameters whose contents reach no query before their signature is checked against
 * Gatehouse's own keys: introspection's and revocation's `token` (a JWT there is Gatehouse's
 * access token, read only once verified; an opaque one is looked up as the string, checked
 * above). Decoding them here would cost every service's introspection for nothing.
 */
const VERIFIED_BEFORE_USE = new Set(['token']);

/**
 * Refuses, before oidc-provider reads anything, protocol requests carrying text Postgres cannot
 * store (a NUL, an unpaired surrogate) in the path, the query, the form or JSON body, the client
 * credentials of a Basic Authorization header, or inside a JWT parameter (client_assertion,
 * request, id_token_hint): `400 invalid_request` naming the parameter, instead of a 500 when a
 * client id or token reaches a query.
 *
 * To see the body first it reads it (with oidc-provider's limit) and replays the same bytes to
 * oidc-provider, which parses them itself exactly as it would have parsed the original stream.
 */
export function protocolInputMiddleware(): Middleware {
  return async function refuseUnstorableProtocolInput(ctx, next) {
    const found: UnstorableValue[] = [];
    const pathProblem = unstorableReason(decodedPath(ctx));
    if (pathProblem) found.push({ pointer: 'the path', detail: pathProblem });
    found.push(...parameters(ctx.query));
    found.push(...basicCredentialProblems(ctx.get('authorization')));
    if (['POST', 'PUT', 'PATCH'].includes(ctx.method)) {
      const type = ctx.is('application/x-www-form-urlencoded', 'application/json');
      if (type) {
        const { text, bytes } = await readBody(ctx);
        (ctx.state as Record<symbol, Buffer>)[READ_BODY] = bytes;
        const params = parsed(text, type);
        // Read once here; the rate limit finds the client a form names in it.
        ctx.state.protocolParams = params;
        found.push(...parameters(params));
      }
    }
    // A person's browser is sent to these: it gets the error page, as oidc-provider's own errors there do.
    if (found.length && BROWSER_ROUTES.test(ctx.path)) ctx.state.servesPeople = true;
    if (found.length) throw new errors.InvalidRequest(found.map(({ pointer, detail }) => `${pointer} ${detail}`).join('; '));
    await next();
  };
}

const READ_BODY = Symbol('readBody');

/**
 * Gives oidc-provider the body this check read, as the stream it reads: called just before the
 * request goes to oidc-provider. A request answered before it (the JWT introspection shortcut)
 * never pays for the replayed stream.
 */
export function replayReadBody(ctx: Context): void {
  const state = ctx.state as Record<symbol, Buffer | undefined>;
  const bytes = state[READ_BODY];
  if (!bytes) return;
  state[READ_BODY] = undefined;
  ctx.req = replayable(ctx.req, bytes);
}

function decodedPath(ctx: Context): string {
  try {
    return decodeURIComponent(ctx.path);
  } catch {
    return ctx.path;
  }
}

function parsed(text: string, type: string): unknown {
  if (type === 'application/json') {
    try {
      return JSON.parse(text);
    } catch {
      return undefined; // oidc-provider refuses it as it always has
    }
  }
  return parseForm(text);
}

/** Named as OAuth names them (`client_id`, `claims/userinfo/x`), JWT parameters looked into. */
function parameters(values: unknown): UnstorableValue[] {
  const named = findUnstorable(values).map(({ pointer, detail }) => ({ pointer: pointer.slice(1).replace(/\/\d+$/, ''), detail }));
  if (values === null || typeof values !== 'object') return named;
  for (const [name, value] of Object.entries(values)) {
    if (VERIFIED_BEFORE_USE.has(name)) continue;
    for (const item of [value].flat()) {
      if (typeof item === 'string' && COMPACT_JWS.test(item)) named.push(...jwtContents(name, item));
    }
  }
  return named;
}

/** Header and payload of an unverified JWT: oidc-provider looks clients and keys up by them before it verifies. */
function jwtContents(name: string, jwt: string): UnstorableValue[] {
  const [header, payload] = jwt.split('.');
  return [header, payload].flatMap((part) => {
    try {
      return findUnstorable(JSON.parse(Buffer.from(part!, 'base64url').toString('utf8'))).map(({ detail }) => ({ pointer: name, detail: `(a JWT) holds a value that ${detail}` }));
    } catch {
      return [];
    }
  });
}

/** RFC 6749 §2.3.1: both halves are form-encoded, and oidc-provider looks the client id up. */
function basicCredentialProblems(header: string): UnstorableValue[] {
  const credentials = basicCredentials(header);
  if (!credentials) return [];
  return ([['client id', credentials.clientId], ['client secret', credentials.secret]] as const).flatMap(([name, text]) => {
    const detail = text === undefined ? undefined : unstorableReason(text);
    return detail ? [{ pointer: `the Authorization header's ${name}`, detail }] : [];
  });
}

async function readBody(ctx: Context): Promise<{ text: string; bytes: Buffer }> {
  const refuse = (why: string) => new errors.InvalidRequest('failed to parse the request body', undefined, { cause: new Error(why) });
  const length = ctx.request.length;
  if (length !== undefined && length > PROVIDER_BODY_LIMIT) throw refuse('request entity too large');
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of ctx.req) {
    received += (chunk as Buffer).length;
    if (received > PROVIDER_BODY_LIMIT) throw refuse('request entity too large');
    chunks.push(chunk as Buffer);
  }
  if (length !== undefined && received !== length) throw refuse('request size did not match content length');
  const body = Buffer.concat(chunks, received);
  try {
    return { text: ctx.request.charset ? new TextDecoder(ctx.request.charset).decode(body) : body.toString('utf8'), bytes: body };
  } catch (cause) {
    throw refuse(String(cause));
  }
}
