import { errors } from 'oidc-provider';

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
