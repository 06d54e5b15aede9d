import { errors } from 'oidc-provider';

import { StorageUnavailableError } from '../domain/errors.js';

/**
 * Storage could not answer: 503 with the OAuth error `temporarily_unavailable`. oidc-provider
 * hides every 5xx as server_error unless `expose` is set, and the caller must learn to retry.
 */
export class TemporarilyUnavailable extends errors.OIDCProviderError {
  constructor(cause?: unknown) {
    super(503, 'temporarily_unavailable', { cause });
    this.expose = true;
    this.error_description = 'a storage backend is unavailable; retry shortly';
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
