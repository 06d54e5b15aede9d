import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTHeaderParameters, type FlattenedJWSInput, type RemoteJWKSet } from 'jose';

import type { GatehouseClaims } from './gatehouse-claims.js';
import { createDiscovery } from './lib/discovery.js';
import { createIntrospection } from './lib/introspection.js';
import { mapJoseError } from './lib/map-jose-error.js';
import { readClaims } from './lib/read-claims.js';
import { VerifierError } from './verifier-error.js';

/**
 * Options of {@link createVerifier}.
 *
 * @example
 * ```ts
 * import type { VerifierOptions } from '@gatehouse/verifier';
 *
 * const options: VerifierOptions = {
 *   issuer: 'https://id.example.org',
 *   audience: 'https://cms.example',
 *   introspection: { clientId: 'cms-api', clientSecret: process.env.CMS_API_SECRET! },
 * };
 * ```
 */
export interface VerifierOptions {
  /** Gatehouse's issuer URL exactly as in its tokens' `iss` and its discovery document. */
  issuer: string;
  /** This service's resource URI, exactly as registered in Gatehouse: tokens must carry it in `aud`. */
  audience: string;
  /** Seconds of clock skew allowed on `exp` and `nbf`. Default 5. */
  clockTolerance?: number;
  /**
   * After a successful JWKS fetch, how long (ms) a token with an unknown `kid` is rejected without
   * fetching again. This is what stops a flood of forged `kid`s from becoming a flood of requests
   * to Gatehouse; a genuinely new key (rotation) is picked up once the cooldown has passed.
   * Default 30000.
   */
  jwksCooldownMs?: number;
  /**
   * How long (ms) fetched keys are trusted before they are fetched again. Longer keeps a service
   * verifying through a longer Gatehouse outage; shorter stops trusting a key removed from the
   * JWKS sooner. `Infinity` refetches only on an unknown `kid`. Default 600000 (10 minutes).
   */
  jwksCacheMaxAgeMs?: number;
  /** Timeout (ms) of each request to Gatehouse (discovery, JWKS, introspection). Default 5000. */
  timeoutMs?: number;
  /** A fetch implementation for every request to Gatehouse (proxies, tests). Default: global fetch. */
  fetch?: typeof fetch;
  /**
   * Enables {@link Verifier.introspect}: this service's own confidential client at Gatehouse.
   * `cacheMs` (default 10000) is how long an answer is reused for the same token, which is also
   * how late a revocation can be noticed.
   */
  introspection?: { clientId: string; clientSecret: string; cacheMs?: number };
}

/**
 * A verifier for one issuer and one audience, made by {@link createVerifier}.
 *
 * @example
 * ```ts
 * import type { Verifier } from '@gatehouse/verifier';
 *
 * async function whoIs(verifier: Verifier, token: string): Promise<string> {
 *   return (await verifier.verify(token)).sub;
 * }
 * ```
 */
export interface Verifier {
  /** The issuer tokens must come from. */
  readonly issuer: string;
  /** The audience tokens must be for; also the default `realm` of the middleware's challenges. */
  readonly audience: string;
  /**
   * Verifies an access token offline (signature with Gatehouse's published keys, `typ` at+jwt,
   * RS256 only, `iss`, `aud`, `exp`/`nbf`) and returns its claims.
   * Rejects with a {@link VerifierError}: `token_missing`, `token_invalid`, `token_expired` or
   * `keys_unavailable`.
   */
  verify(token: string | undefined): Promise<GatehouseClaims>;
  /**
   * Asks Gatehouse whether the token is still active (not revoked, user not blocked, membership
   * not suspended). One network call per token per `introspection.cacheMs`. Call it after
   * `verify`: it does not check the token itself. Rejects with `introspection_unavailable` when
   * Gatehouse does not answer, and with a plain Error when `introspection` was not configured.
   */
  introspect(token: string): Promise<boolean>;
}

/**
 * Creates a verifier for Gatehouse access tokens. Nothing is fetched until the first token
 * arrives; then the discovery document is fetched once and the JWKS is cached and refetched by
 * jose's remote key set (on expiry of `jwksCacheMaxAgeMs`, or on an unknown `kid` after
 * `jwksCooldownMs`). Create one per process and audience and share it.
 *
 * @example
 * ```ts
 * import { createVerifier, VerifierError } from '@gatehouse/verifier';
 *
 * const verifier = createVerifier({ issuer: 'https://id.example.org', audience: 'https://cms.example' });
 *
 * try {
 *   const claims = await verifier.verify(token);
 *   console.log(claims.sub, claims.scope, claims.lab_id, claims.roles);
 * } catch (error) {
 *   if (error instanceof VerifierError) console.log(error.status, error.code, error.message);
 *   else throw error;
 * }
 * ```
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const { issuer, audience, clockTolerance = 5, jwksCooldownMs = 30_000, jwksCacheMaxAgeMs = 600_000, timeoutMs = 5_000 } = options;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  if (typeof issuer !== 'string' || !URL.canParse(issuer)) throw new TypeError(`createVerifier: issuer must be a URL, got ${JSON.stringify(issuer)}`);
  if (typeof audience !== 'string' || audience === '') throw new TypeError(`createVerifier: audience must be this service's resource URI, got ${JSON.stringify(audience)}`);
  const introspection = options.introspection;
  const durations = { clockTolerance, jwksCooldownMs, jwksCacheMaxAgeMs, timeoutMs, 'introspection.cacheMs': introspection?.cacheMs ?? 0 };
  for (const [name, value] of Object.entries(durations)) {
    if (typeof value !== 'number' || Number.isNaN(value) || value < 0) throw new TypeError(`createVerifier: ${name} must be a non-negative number, got ${JSON.stringify(value)}`);
  }
  if (!Number.isFinite(timeoutMs) || !Number.isFinite(clockTolerance)) throw new TypeError('createVerifier: timeoutMs and clockTolerance must be finite');
  if (introspection && !(typeof introspection.clientId === 'string' && introspection.clientId && typeof introspection.clientSecret === 'string')) {
    throw new TypeError('createVerifier: introspection needs this service\'s clientId and clientSecret');
  }

  const discovery = createDiscovery(issuer, fetchImpl, timeoutMs);
  let remoteKeys: Promise<RemoteJWKSet> | undefined;
  // One jose remote set per verifier, created once discovery names jwks_uri; jose owns the
  // caching, the cooldown and the coalescing of concurrent refetches.
  const keySet = () => {
    remoteKeys ??= discovery().then(
      (metadata) => createRemoteJWKSet(new URL(metadata.jwks_uri), {
        cooldownDuration: jwksCooldownMs,
        cacheMaxAge: jwksCacheMaxAgeMs,
        timeoutDuration: Math.round(timeoutMs),
        [customFetch]: fetchImpl,
      }),
      (error: unknown) => {
        remoteKeys = undefined;
        throw error;
      },
    );
    return remoteKeys;
  };

  // Called by jwtVerify only after the header parsed and alg passed the RS256 pin, so `alg: none`
  // or HS256 tokens are refused without touching the network, even with Gatehouse down.
  async function getKey(header: JWTHeaderParameters, token: FlattenedJWSInput) {
    // Gatehouse always names its key; without a kid jose would try every key in the set.
    if (typeof header.kid !== 'string' || header.kid === '') throw new VerifierError('token_invalid', 'the access token names no signing key');
    const keys = await keySet();
    try {
      return await keys(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
        throw new VerifierError('token_invalid', 'the access token is signed with an unknown key', { cause: error });
      }
      if (error instanceof errors.JOSENotSupported) throw new VerifierError('token_invalid', 'the access token is invalid', { cause: error });
      // Network errors, timeouts, non-200 and unparsable JWKS: Gatehouse's problem, not the token's.
      throw new VerifierError('keys_unavailable', 'the token issuer signing keys cannot be fetched', { cause: error });
    }
  }

  const verifyOptions = {
    issuer,
    audience,
    algorithms: ['RS256'],
    typ: 'at+jwt',
    clockTolerance,
    // RFC 9068 §2.2: required in every JWT access token.
    requiredClaims: ['iss', 'aud', 'exp', 'iat', 'sub', 'client_id', 'jti'],
  };

  const introspect = introspection
    ? createIntrospection({
        endpoint: async () => (await discovery().catch((cause: unknown) => {
          throw new VerifierError('introspection_unavailable', 'the token issuer cannot be reached', { cause });
        })).introspection_endpoint,
        clientId: introspection.clientId,
        clientSecret: introspection.clientSecret,
        cacheMs: introspection.cacheMs ?? 10_000,
        maxEntries: 10_000,
        timeoutMs,
        fetchImpl,
      })
    : () => Promise.reject(new Error('introspect: createVerifier was called without the introspection option'));

  return {
    issuer,
    audience,
    async verify(token) {
      if (typeof token !== 'string' || token === '') throw new VerifierError('token_missing', 'no access token was presented');
      try {
        const { payload } = await jwtVerify(token, getKey, verifyOptions);
        return readClaims(payload);
      } catch (error) {
        throw mapJoseError(error);
      }
    },
    introspect,
  };
}
