import { errors } from 'oidc-provider';

import { StorageUnavailableError } from '../domain/errors.js';

/**
 * Storage could not answer: 503 with the OAuth error `temporarily_unavailable`. oidc-provider
 * hides every 5xx as server_error unless `expose` is set, and the caller must learn to retry.
 */
export class TemporarilyUnavailable extends errors.OIDCProviderError {
  constructor(cause?: unknown, description = 'a storage backend is unavailable; retry shortly') {
    super(503, 'temporarily_unavailable', { cause });
    this.expose = true;
    this.error_description = description;
  }
}

/**
 * Wraps the methods of a dependency oidc-provider calls back into (accounts, lab access, the
 * resource lookup) so that a storage outage reaches its error handler as 503
 * temporarily_unavailable. Its handler knows only its own error classes: any other error that
 * says it may be shown becomes a 500 whose `error` is the message.
 */
export function withProtocolErrors<T extends object>(target: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(target)) {
    wrapped[name] = typeof value !== 'function' ? value : async (...args: unknown[]) => {
      try {
        return await (value as (...a: unknown[]) => unknown).apply(target, args);
      } catch (error) {
        throw error instanceof StorageUnavailableError ? new TemporarilyUnavailable(error) : error;
      }
    };
  }
  return wrapped as T;
}

const OUTAGE = Symbol('storageOutage');

/** The error, or one it was caused by, says storage could not answer. */
function causedByOutage(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = (e as { cause?: unknown }).cause, depth += 1) {
    if (e instanceof StorageUnavailableError || e instanceof TemporarilyUnavailable) return true;
  }
  return false;
}

/**
 * The safety net under every callback oidc-provider makes into Gatehouse (adapter, accounts,
 * policies, grants, hooks): a storage outage that reached its error handler untranslated would
 * be answered 500 server_error. Its handler reports such errors as `server_error` events; this
 * marks the request and, once the handler has rendered, turns the answer into 503
 * temporarily_unavailable (the HTTP layer adds Retry-After to every 503). Installed early, so it
 * wraps the routes that render.
 */
export function answerStorageOutagesWith503(provider: { on(event: 'server_error', listener: (ctx: { state: object }, error: unknown) => void): unknown }) {
  provider.on('server_error', (ctx, error) => {
    if (causedByOutage(error)) (ctx.state as Record<symbol, boolean>)[OUTAGE] = true;
  });
  return async (ctx: { state: object; status: number; body: unknown; type: string }, next: () => Promise<void>): Promise<void> => {
    await next();
    if (!(ctx.state as Record<symbol, boolean>)[OUTAGE]) return;
    ctx.status = 503;
    const body = ctx.body as { error?: unknown } | undefined;
    if (body && typeof body === 'object' && body.error === 'server_error') {
      const answer = new TemporarilyUnavailable();
      ctx.body = { error: answer.error, error_description: answer.error_description };
    }
  };
}
