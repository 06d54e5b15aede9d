import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';

import { PayloadTooLargeError, UnsupportedMediaTypeError } from '../../domain/errors.js';
import { InvalidRequestError } from '../problems/invalid-request-error.js';

/**
 * Reads a JSON request body for Gatehouse's own JSON endpoints: 415 unless it is
 * application/json, 413 beyond `limit`, a 400 problem naming `#/body` when it is not JSON (or
 * not an object or array).
 */
export function createJsonBodyReader(limit: string) {
  const parse = bodyParser({
    enableTypes: ['json'],
    jsonLimit: limit,
    jsonStrict: true,
    onError(error) {
      if ((error as { status?: number }).status === 413) throw new PayloadTooLargeError(limit);
      throw new InvalidRequestError('the request body is not valid JSON', [{ pointer: '#/body', detail: 'is not valid JSON' }]);
    },
  });
  return async function readJsonBody(ctx: Context): Promise<unknown> {
    if (!ctx.is('application/json')) throw new UnsupportedMediaTypeError('application/json');
    await parse(ctx as never, async () => {});
    return (ctx.request as { body?: unknown }).body;
  };
}
