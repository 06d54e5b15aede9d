import type { Context } from 'koa';
import { errors } from 'oidc-provider';

import type { Views } from './views.js';

/** What a person is shown when a browser-facing request fails: never a stack, never raw JSON. */
export interface ErrorPageInput {
  status: number;
  /** The OAuth error or problem code, shown small for a support conversation. */
  code: string;
  /** The exposed, occurrence-specific explanation (hidden errors have none). */
  description?: string;
  requestId?: string;
  /** The thrown error, when there is one: it picks the page's wording. */
  cause?: unknown;
}

/** Keys of views/locales: the page's heading and what it tells the person. */
interface Wording { heading: string; message: string }

const EXPIRED: Wording = { heading: 'error.expiredTitle', message: 'error.expired' };
const BAD_REQUEST_FROM_APP: Wording = { heading: 'error.badRequestTitle', message: 'error.badRequest' };
const UNAVAILABLE: Wording = { heading: 'error.unavailableTitle', message: 'error.unavailable' };
const TOO_MANY: Wording = { heading: 'error.tooManyTitle', message: 'error.tooMany' };
const FAILED: Wording = { heading: 'error.failedTitle', message: 'error.failed' };

/** Errors that mean the application's link is broken, not that the person did something wrong. */
const APPLICATION_ERRORS = new Set(['invalid_client', 'invalid_redirect_uri', 'unauthorized_client', 'unsupported_response_type', 'invalid_scope', 'invalid_target', 'invalid_request_object']);

function wordingOf(input: ErrorPageInput): Wording {
  if (input.cause instanceof errors.SessionNotFound) return EXPIRED;
  if (input.status === 503) return UNAVAILABLE;
  if (input.status === 429) return TOO_MANY;
  if (input.status < 500 && APPLICATION_ERRORS.has(input.code)) return BAD_REQUEST_FROM_APP;
  return FAILED;
}

/**
 * Whether the client prefers an HTML page to JSON, decided as oidc-provider's own error handler
 * decides it: a browser navigating asks for text/html, a program asks for JSON or anything.
 */
export function wantsHtml(ctx: Context): boolean {
  return ctx.accepts('json', 'html') === 'html';
}

/** The HTML error page in the house style (views/error.eta), with the response's own status. */
export function createErrorPage(views: Views) {
  return {
    render(ctx: Context, input: ErrorPageInput): void {
      const { heading, message } = wordingOf(input);
      views.render(ctx, 'error', { heading, message, code: input.code, description: input.description, requestId: input.requestId }, input.status);
    },
  };
}

export type ErrorPage = ReturnType<typeof createErrorPage>;
