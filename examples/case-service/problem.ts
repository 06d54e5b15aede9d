import type { Middleware } from 'koa';

/** An error the client may see, answered as an RFC 9457 problem with a stable `code`. */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'Problem';
  }
}

/**
 * Turns thrown errors into `application/problem+json`. Problems keep their message; Koa's own
 * client errors (malformed JSON, body too large) keep their status with a generic title; anything
 * else is a 500 that reveals nothing. Authentication failures never get here: the verifier's
 * middleware answers those itself (401/403/503 with WWW-Authenticate).
 */
export function problemMiddleware(onError: (error: unknown) => void): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const status = error instanceof Problem ? error.status : clientErrorStatus(error) ?? 500;
      if (status >= 500) onError(error);
      ctx.status = status;
      ctx.type = 'application/problem+json';
      ctx.body = error instanceof Problem
        ? { type: `about:blank#${error.code}`, title: error.message, status, code: error.code, ...error.details }
        : { type: 'about:blank', title: status >= 500 ? 'internal error' : 'bad request', status, code: status >= 500 ? 'internal' : 'bad_request' };
    }
  };
}

function clientErrorStatus(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}
