import type { AuthMiddlewareOptions } from '../auth-middleware-options.js';
import type { Verifier } from '../create-verifier.js';
import type { GatehouseClaims } from '../gatehouse-claims.js';
import { VerifierError } from '../verifier-error.js';
import { bindAuth } from './auth-binding.js';
import { readBearerToken } from './bearer-token.js';
import { challengeFor, type Challenge } from './challenge.js';

export type Outcome = { claims: GatehouseClaims } | { challenge: Challenge };

/** The framework-neutral core of koaAuth and expressAuth. Errors other than VerifierError propagate. */
export function createAuthenticator(verifier: Verifier, options: AuthMiddlewareOptions) {
  const realm = options.realm ?? verifier.audience;
  const retryAfterSeconds = options.retryAfterSeconds ?? 5;
  return async (authorization: string | undefined, cookie: string | undefined): Promise<Outcome> => {
    try {
      const token = readBearerToken(authorization, cookie, options.cookieName);
      const claims = await verifier.verify(token);
      bindAuth({ claims, token: token!, verifier, realm, retryAfterSeconds });
      return { claims };
    } catch (error) {
      if (error instanceof VerifierError) return { challenge: challengeFor(error, realm, retryAfterSeconds) };
      throw error;
    }
  };
}
