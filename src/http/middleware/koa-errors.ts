import type { Middleware } from 'koa';
import { errors } from 'oidc-provider';

import { AppError, DuplicateError, ForbiddenError, MissingReferenceError, UnauthorizedError } from '../../domain/errors.js';
import type { Logger } from '../../logger.js';

const RETRY_AFTER_SECONDS = '5';

/**
 * The one place errors become responses. OAuth errors (oidc-provider's classes) keep their
 * OAuth JSON; Gatehouse's AppErrors become RFC 9457 problem+json; an unreachable backend is a
 * 503 with Retry-After; anything else is a 500 that reveals nothing. Also normalises responses
 * oidc-provider produced itself: 503s gain Retry-After.
 */
export function errorMiddleware(log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (error instanceof errors.OIDCProviderError) {
        ctx.status = error.statusCode;
        ctx.type = 'application/json; charset=utf-8';
        ctx.body = error.expose
          ? { error: error.error, ...(error.error_description ? { error_description: error.error_description } : {}) }
          : { error: 'server_error', error_description: 'oops! something went wrong' };
        if (!error.expose) log.error('oauth server error', { error, path: ctx.path, request_id: ctx.state.requestId });
      } else {
        // A duplicate or missing reference no use case turned into a precise answer: a concurrent
        // change got there first (a 409 the caller can retry). Logged: it may as well be a bug as
        // a race, and a 4xx is otherwise silent.
        if (error instanceof DuplicateError || error instanceof MissingReferenceError) log.warn('constraint violation answered with 409', { error: error.name, path: ctx.path, request_id: ctx.state.requestId });
        const appError = error instanceof AppError ? error : undefined;
        const status = appError?.status ?? (error as { status?: number }).status ?? 500;
        const exposed = appError ? appError.expose : status < 500 && Boolean((error as { expose?: boolean }).expose);
        if (status >= 500) log.error('request failed', { error: (error as Error & { cause?: unknown }).cause ?? error, path: ctx.path, request_id: ctx.state.requestId });
        ctx.status = status;
        ctx.type = 'application/problem+json';
        if (error instanceof UnauthorizedError) ctx.set('WWW-Authenticate', error.challenge);
        if (error instanceof ForbiddenError && error.challenge) ctx.set('WWW-Authenticate', error.challenge);
        ctx.body = {
          type: `https://gatehouse.dev/problems/${appError?.code ?? (status >= 500 ? 'internal' : 'bad_request')}`,
          title: exposed ? (error as Error).message : status >= 500 ? 'internal error' : 'bad request',
          status,
          ...(appError?.details ?? {}),
          ...(ctx.state.requestId ? { request_id: ctx.state.requestId } : {}),
        };
      }
    }
    if (ctx.status === 503) ctx.set('Retry-After', RETRY_AFTER_SECONDS);
  };
}
