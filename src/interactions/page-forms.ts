import { createHmac, randomBytes } from 'node:crypto';

import { bodyParser } from '@koa/bodyparser';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Context } from 'koa';

import { createAjv } from '../config/ajv.js';
import { ForbiddenError } from '../domain/errors.js';
import { sameSecret } from '../domain/account/account-sessions.js';
import { InvalidRequestError } from '../http/problems/invalid-request-error.js';

const ajv = createAjv();
const compiled = new WeakMap<object, ValidateFunction>();

/** A compiled validator per schema, made once; every value must also be storable. */
function validatorOf(schema: object): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile({ ...schema, storable: true });
    compiled.set(schema, validate);
  }
  return validate;
}

const pointerOf = (error: ErrorObject) => (error.keyword === 'required' ? `${error.instancePath}/${String(error.params.missingProperty)}`
  : error.keyword === 'additionalProperties' ? `${error.instancePath}/${String(error.params.additionalProperty)}` : error.instancePath);

/** Checks a page's query or form against its schema (src/domain/schemas/account-schemas.ts): a 400 naming each field otherwise. */
export function checkPageInput<T>(schema: object, value: unknown, part: 'query' | 'body'): T {
  const validate = validatorOf(schema);
  if (!validate(value)) {
    throw new InvalidRequestError(`the ${part === 'body' ? 'form' : 'address'} is invalid`, (validate.errors ?? []).map((error) => ({
      pointer: `#/${part}${pointerOf(error)}`, detail: error.keyword === 'additionalProperties' ? 'is not a known field' : error.message ?? 'is invalid',
    })));
  }
  return value as T;
}

const parseForm = bodyParser({ enableTypes: ['form'], formLimit: '16kb' });
const parseJson = bodyParser({ enableTypes: ['json'], jsonLimit: '64kb' });

/**
 * Reads a urlencoded form posted from one of Gatehouse's own pages: a cross-origin post is
 * refused before anything is read (browsers send Origin on form posts), then the fields are
 * checked against `schema`.
 */
export async function readPageForm<T>(ctx: Context, schema: object, issuerOrigin: string, type: 'form' | 'json' = 'form'): Promise<T> {
  const origin = ctx.get('Origin');
  if (origin && origin !== issuerOrigin) throw new ForbiddenError('cross-origin form post refused');
  // A JSON post is a page's own script (fetch): other sites cannot send one without a CORS preflight.
  await (type === 'json' ? parseJson : parseForm)(ctx as never, async () => {});
  return checkPageInput<T>(schema, { ...(ctx.request.body as Record<string, unknown> | undefined ?? {}) }, 'body');
}

/** Cookies of Gatehouse's own pages: script cannot read them, other sites' posts do not carry them, HTTPS-only behind TLS. */
export const pageCookieOptions = (ctx: Context) => ({ httpOnly: true, sameSite: 'lax' as const, secure: ctx.secure, overwrite: true });

/**
 * CSRF protection for pages with no session (password reset, email verification): a random
 * value in an HttpOnly cookie, and its HMAC in the form. A site that cannot read the cookie
 * cannot forge the form; any node verifies it (the HMAC key is the first cookie key).
 */
export function createAnonymousCsrf(secret: string, cookieName = 'gatehouse.form') {
  const mac = (value: string) => createHmac('sha256', secret).update(`page-csrf:${value}`).digest('base64url');
  return {
    /** The token for this browser's forms (setting its cookie when it has none). */
    tokenFor(ctx: Context): string {
      let value = ctx.cookies.get(cookieName);
      if (!value || !/^[A-Za-z0-9_-]{43}$/.test(value)) {
        value = randomBytes(32).toString('base64url');
        ctx.cookies.set(cookieName, value, { ...pageCookieOptions(ctx), path: '/' });
      }
      return mac(value);
    },
    verify(ctx: Context, token: unknown): void {
      const value = ctx.cookies.get(cookieName);
      if (!value || !sameSecret(token, mac(value))) throw new ForbiddenError('the form has expired; reload the page and try again');
    },
  };
}
