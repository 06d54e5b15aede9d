import Router from '@koa/router';

import { SSF_DELIVERY } from '../../domain/ssf/shared-signals.js';

/** `/.well-known/ssf-configuration`: the Shared Signals transmitter metadata (SSF 1.0 §7.1). */
export function createSsfRoutes(issuer: string): Router {
  const api = `${issuer}/api/v1/ssf`;
  const metadata = {
    spec_version: '1_0',
    issuer,
    jwks_uri: `${issuer}/jwks`,
    delivery_methods_supported: [SSF_DELIVERY.push, SSF_DELIVERY.poll],
    configuration_endpoint: `${api}/streams`,
    status_endpoint: `${api}/status`,
    verification_endpoint: `${api}/verify`,
    // Streams carry every user's events (no add/remove subject endpoints).
    default_subjects: 'ALL',
    authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6749' }],
  };
  const router = new Router();
  router.get('/.well-known/ssf-configuration', (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = metadata;
  });
  return router;
}
