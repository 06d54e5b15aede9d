import type { AuthMiddlewareOptions } from '../auth-middleware-options.js';
import type { Verifier } from '../create-verifier.js';
import type { GatehouseClaims } from '../gatehouse-claims.js';
import { VerifierError } from '../verifier-error.js';
import { bindAuth } from './auth-binding.js';
import { readCredentials } from './bearer-token.js';
import { challengeFor, type Challenge } from './challenge.js';

export type Outcome = { claims: GatehouseClaims } | { challenge: Challenge };

/** What the middleware reads from a request, framework-neutral. */
export interface RequestParts {
  authorization: string | undefined;
  cookie: string | undefined;
  /** The DPoP header (a proof JWT), if any. */
  dpop: string | undefined;
  method: string;
  /** scheme://host[:port] as the server sees it; `options.origin` overrides it. */
  origin: string;
  /** The path, without query. */
  path: string;
}

/** The framework-neutral core of koaAuth and expressAuth. Errors other than VerifierError propagate. */
export function createAuthenticator(verifier: Verifier, options: AuthMiddlewareOptions) {
  const realm = options.realm ?? verifier.audience;
  const retryAfterSeconds = options.retryAfterSeconds ?? 5;
  const origin = options.origin?.replace(/\/+$/, '');
  const { resourceMetadata } = options;
  return async (request: RequestParts): Promise<Outcome> => {
    const usesDpop = /^DPoP(?:\s|$)/i.test(request.authorization?.trim() ?? '');
    try {
      const credentials = readCredentials(request.authorization, request.cookie, options.cookieName);
      const dpop = credentials?.scheme === 'DPoP' ? { proof: request.dpop, method: request.method, url: `${origin ?? request.origin}${request.path}` } : undefined;
      const claims = await verifier.verify(credentials?.token, dpop ? { dpop } : {});
      const dpopAlgs = dpop ? verifier.dpopAlgorithms : undefined;
      bindAuth({ claims, token: credentials!.token, verifier, realm, retryAfterSeconds, ...(dpopAlgs ? { dpopAlgs } : {}), ...(resourceMetadata ? { resourceMetadata } : {}) });
      return { claims };
    } catch (error) {
      if (!(error instanceof VerifierError)) throw error;
      // The DPoP scheme is answered in kind; a DPoP-bound token sent as Bearer learns it must use DPoP.
      const dpopChallenge = usesDpop || error.code === 'dpop_required' || error.code === 'dpop_proof_invalid';
      return { challenge: challengeFor(error, realm, retryAfterSeconds, dpopChallenge ? verifier.dpopAlgorithms : undefined, resourceMetadata) };
    }
  };
}
