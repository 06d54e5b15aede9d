import type { Context, Middleware } from 'koa';
import { errors } from 'oidc-provider';

import { AppError, DuplicateError, ForbiddenError, MissingReferenceError, StorageUnavailableError, UnauthorizedError } from '../../domain/errors.js';
import type { ErrorPage } from '../../interactions/error-page.js';
import { wantsHtml } from '../../interactions/error-page.js';
import type { Logger } from '../../logger.js';
import { pointedErrors, type FieldLocator } from '../problems/field-pointers.js';
import { InvalidRequestError } from '../problems/invalid-request-error.js';
import { problemTitle, problemType } from '../problems/problem-types.js';

const RETRY_AFTER_SECONDS = '5';

/**
 * Marks the routes a person's browser navigates to (login, consent, lab picker): their errors
 * become the HTML error page when the browser asks for HTML, as oidc-provider's own pages do.
 */
export function servesPeople(): Middleware {
  return (ctx, next) => {
    ctx.state.servesPeople = true;
    return next();
  };
}

/**
 * Lets the router that knows an operation's schemas say where a use case's field travelled
 * (path, query or body); without it a field is the body's.
 */
export function locateFields(ctx: Context, locate: FieldLocator): void {
  ctx.state.locateField = locate;
}

/** One failed request, in the terms both renderings (JSON for programs, a page for people) need. */
interface Failure {
  status: number;
  code: string;
  /** Occurrence-specific and safe to show; absent when the error is not exposed. */
  detail?: string;
  json: { type: string; body: Record<string, unknown> };
}

function oauthFailure(error: InstanceType<typeof errors.OIDCProviderError>): Failure {
  const body = error.expose
    ? { error: error.error, ...(error.error_description ? { error_description: error.error_description } : {}) }
    : { error: 'server_error', error_description: 'oops! something went wrong' };
  return { status: error.statusCode, code: body.error, detail: body.error_description, json: { type: 'application/json; charset=utf-8', body } };
}

function problemFailure(ctx: Context, error: unknown, appError: AppError | undefined): Failure {
  const status = appError?.status ?? (error as { status?: number }).status ?? 500;
  const exposed = appError ? appError.expose : status < 500 && Boolean((error as { expose?: boolean }).expose);
  const code = appError?.code ?? (status >= 500 ? 'internal' : 'bad_request');
  const detail = exposed ? (appError ?? (error as Error)).message : undefined;
  const fieldErrors = error instanceof InvalidRequestError ? error.pointers
    : appError?.fields ? pointedErrors(appError.fields, ctx.state.locateField as FieldLocator | undefined) : undefined;
  const body = {
    type: problemType(code),
    title: problemTitle(code),
    status,
    ...(detail ? { detail } : {}),
    ...(appError?.details ?? {}),
    ...(fieldErrors ? { errors: fieldErrors } : {}),
    ...(ctx.state.requestId ? { request_id: ctx.state.requestId } : {}),
  };
  return { status, code, detail, json: { type: 'application/problem+json', body } };
}

/**
 * The one place errors become responses. OAuth errors (oidc-provider's classes) keep their
 * OAuth JSON; Gatehouse's AppErrors become RFC 9457 problem+json; an unreachable backend is a
 * 503 with Retry-After; anything else is a 500 that reveals nothing. On the pages people use
 * (see servesPeople) a browser gets the same failure as an HTML page instead. Also normalises
 * responses oidc-provider produced itself: 503s gain Retry-After.
 */
export function errorMiddleware(log: Logger, errorPage: ErrorPage): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      let failure: Failure;
      if (error instanceof errors.OIDCProviderError) {
        failure = oauthFailure(error);
        if (!error.expose) log.error('oauth server error', { error, path: ctx.path, request_id: ctx.state.requestId });
      } else {
        // A duplicate or missing reference no use case turned into a precise answer: a concurrent
        // change got there first (a 409 the caller can retry). Logged: it may as well be a bug as
        // a race, and a 4xx is otherwise silent.
        if (error instanceof DuplicateError || error instanceof MissingReferenceError) log.warn('constraint violation answered with 409', { error: error.name, path: ctx.path, request_id: ctx.state.requestId });
        const appError = error instanceof AppError ? error : undefined;
        failure = problemFailure(ctx, error, appError);
        // An outage is logged once per state change by the availability log; the logger writes
        // this line (the StorageUnavailableError itself) at debug level.
        if (failure.status >= 500) log.error('request failed', { error: error instanceof StorageUnavailableError ? error : (error as Error & { cause?: unknown }).cause ?? error, path: ctx.path, request_id: ctx.state.requestId });
        if (error instanceof UnauthorizedError) ctx.set('WWW-Authenticate', error.challenge);
        if (error instanceof ForbiddenError && error.challenge) ctx.set('WWW-Authenticate', error.challenge);
      }
      if (ctx.state.servesPeople && wantsHtml(ctx)) {
        errorPage.render(ctx, { status: failure.status, code: failure.code, description: failure.detail, requestId: ctx.state.requestId as string | undefined, cause: error });
      } else {
        ctx.status = failure.status;
        ctx.type = failure.json.type;
        ctx.body = failure.json.body;
      }
    }
    if (ctx.status === 503) ctx.set('Retry-After', RETRY_AFTER_SECONDS);
  };
}
