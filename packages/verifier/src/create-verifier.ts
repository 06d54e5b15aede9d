import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTHeaderParameters, type FlattenedJWSInput, type RemoteJWKSet } from 'jose';

import type { GatehouseClaims } from './gatehouse-claims.js';
import { createDiscovery } from './lib/discovery.js';
import { verifyDpopProof, type DPoPRequest } from './lib/dpop-proof.js';
import { createIntrospection } from './lib/introspection.js';
import { mapJoseError } from './lib/map-jose-error.js';
import { readClaims } from './lib/read-claims.js';
import { createReplayCache } from './lib/replay-cache.js';
import type { RevocableToken, RevocationFeed } from './revocation-feed.js';
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
  /** How DPoP proofs (RFC 9449) are checked for DPoP-bound tokens. */
  dpop?: DPoPOptions;
  /**
   * Refuse revoked tokens offline: `feed` (see {@link createRevocationFeed}) keeps a copy of what
   * Gatehouse revoked (tokens, grants, ended sessions, blocked or deleted users), refreshed every
   * second by default. When the copy is stale (Gatehouse unreachable beyond `staleAfterMs`),
   * `whenStale` decides: `fail` (default) refuses with `revocations_unavailable` (503);
   * `introspect` asks Gatehouse per token instead (needs the `introspection` option).
   */
  revocations?: { feed: RevocationFeed; whenStale?: 'fail' | 'introspect' };
}

/**
 * DPoP settings of {@link createVerifier}. Every field has a default; DPoP is always on for
 * tokens that are DPoP-bound (`cnf.jkt`) and never needed for the others.
 *
 * @example
 * ```ts
 * import type { DPoPOptions } from '@gatehouse/verifier';
 *
 * // Several instances of the service behind one load balancer: share the replay check.
 * const dpop: DPoPOptions = {
 *   maxAgeSeconds: 60,
 *   claimProofId: async (key, ttlSeconds) => (await redis.set(`dpop:${key}`, '1', 'EX', ttlSeconds, 'NX')) === 'OK',
 * };
 * ```
 */
export interface DPoPOptions {
  /** How old (by its `iat`) a proof may be, in seconds, on top of `clockTolerance`. Default 60. */
  maxAgeSeconds?: number;
  /** Proof signing algorithms accepted (asymmetric only). Default: those Gatehouse accepts, ES256 Ed25519 EdDSA PS256 RS256. */
  algorithms?: readonly string[];
  /** Most proof ids the in-process replay cache remembers. Default 100000. */
  maxReplayEntries?: number;
  /**
   * A replay check shared by every instance of the service (e.g. Redis `SET NX`): resolves true the
   * first time `key` is seen within `ttlSeconds`, false for a replay. Default: an in-process cache,
   * which catches a replay only at the same instance.
   */
  claimProofId?: (key: string, ttlSeconds: number) => boolean | Promise<boolean>;
}

/**
 * Options of {@link Verifier.verify}.
 *
 * @example
 * ```ts
 * import type { VerifyOptions } from '@gatehouse/verifier';
 *
 * const options: VerifyOptions = {
 *   dpop: { proof: req.headers.dpop as string, method: req.method, url: `https://cms.example.org${req.path}` },
 * };
 * ```
 */
export interface VerifyOptions {
  /**
   * The token came with the DPoP scheme (`Authorization: DPoP <token>`): the proof and the request
   * it must match. Without it the token was presented as a bearer token, which a DPoP-bound token
   * may not be.
   */
  dpop?: DPoPRequest;
}

const DEFAULT_DPOP_ALGS = ['ES256', 'Ed25519', 'EdDSA', 'PS256', 'RS256'] as const;
const SYMMETRIC = /^(HS|none$)/i;

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
  /** The DPoP proof algorithms accepted: the `algs` of DPoP challenges. */
  readonly dpopAlgorithms: readonly string[];
  /**
   * Verifies an access token offline (signature with Gatehouse's published keys, `typ` at+jwt,
   * RS256 only, `iss`, `aud`, `exp`/`nbf`) and returns its claims. A DPoP-bound token (`cnf.jkt`)
   * needs `options.dpop`, whose proof is checked too (RFC 9449 §4.3: `typ`, asymmetric `alg`,
   * public `jwk`, `htm`, `htu`, `iat`, `jti` not seen before, `ath`, key thumbprint = `cnf.jkt`).
   * Rejects with a {@link VerifierError}: `token_missing`, `token_invalid`, `token_expired`,
   * `dpop_required`, `dpop_proof_invalid` or `keys_unavailable`.
   */
  verify(token: string | undefined, options?: VerifyOptions): Promise<GatehouseClaims>;
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

  const dpopAlgorithms = Object.freeze([...(options.dpop?.algorithms ?? DEFAULT_DPOP_ALGS)]);
  if (!dpopAlgorithms.length || dpopAlgorithms.some((alg) => typeof alg !== 'string' || SYMMETRIC.test(alg))) {
    throw new TypeError(`createVerifier: dpop.algorithms must be asymmetric JWS algorithms, got ${JSON.stringify(dpopAlgorithms)}`);
  }
  const maxAgeSeconds = options.dpop?.maxAgeSeconds ?? 60;
  const maxReplayEntries = options.dpop?.maxReplayEntries ?? 100_000;
  if (!(Number.isFinite(maxAgeSeconds) && maxAgeSeconds > 0) || !(Number.isInteger(maxReplayEntries) && maxReplayEntries > 0)) {
    throw new TypeError('createVerifier: dpop.maxAgeSeconds and dpop.maxReplayEntries must be positive numbers');
  }
  const replays = createReplayCache(maxReplayEntries);
  const proofSettings = {
    algorithms: dpopAlgorithms, maxAgeSeconds, clockTolerance, claim: options.dpop?.claimProofId ?? replays.claim,
  };

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

  const tokenChecks = {
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

  const revocations = options.revocations;
  if (revocations?.whenStale === 'introspect' && !introspection) throw new TypeError('createVerifier: revocations.whenStale "introspect" needs the introspection option');
  async function checkNotRevoked(token: string, claims: RevocableToken): Promise<void> {
    const { feed, whenStale = 'fail' } = revocations!;
    if (feed.stale) {
      if (whenStale === 'fail') throw new VerifierError('revocations_unavailable', 'the list of revoked tokens is out of date');
      if (!(await introspect(token))) throw new VerifierError('token_revoked', 'the access token has been revoked');
      return;
    }
    if (feed.isRevoked(claims)) throw new VerifierError('token_revoked', 'the access token has been revoked');
  }

  return {
    issuer,
    audience,
    dpopAlgorithms,
    async verify(token, { dpop } = {}) {
      if (typeof token !== 'string' || token === '') throw new VerifierError('token_missing', 'no access token was presented');
      let claims: GatehouseClaims;
      let grantId: string | undefined;
      try {
        const { payload } = await jwtVerify(token, getKey, tokenChecks);
        claims = readClaims(payload);
        grantId = typeof payload.grant_id === 'string' ? payload.grant_id : undefined;
      } catch (error) {
        throw mapJoseError(error);
      }
      const jkt = claims.cnf?.jkt;
      // RFC 9449 §7.2: a bound token used as a bearer token is refused, or DPoP would be optional for thieves.
      if (jkt && !dpop) throw new VerifierError('dpop_required', 'the access token is DPoP-bound: send it with the DPoP scheme and a DPoP proof');
      if (dpop && !jkt) throw new VerifierError('token_invalid', 'the access token is not DPoP-bound: send it with the Bearer scheme');
      if (dpop && jkt) await verifyDpopProof(dpop, token, jkt, proofSettings);
      if (revocations) await checkNotRevoked(token, { jti: claims.jti, sub: claims.sub, iat: claims.iat, grant_id: grantId });
      return claims;
    },
    introspect,
  };
}
