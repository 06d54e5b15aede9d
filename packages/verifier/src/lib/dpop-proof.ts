import { createHash } from 'node:crypto';

import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, errors, jwtVerify, type JWK } from 'jose';

import { VerifierError } from '../verifier-error.js';

/** The request a DPoP proof must match. */
export interface DPoPRequest {
  /** The DPoP request header: one compact JWS. */
  proof: string | undefined;
  /** The HTTP method of the request, e.g. `GET`. */
  method: string;
  /** The URL the client addressed, as it sees it (scheme, host, path; query and fragment are ignored). */
  url: string | URL;
}

export interface ProofSettings {
  algorithms: readonly string[];
  maxAgeSeconds: number;
  clockTolerance: number;
  /** true the first time a proof id is seen for this key within `ttlSeconds`. */
  claim: (key: string, ttlSeconds: number) => boolean | Promise<boolean>;
}

const compactJws = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
// Members that make a JWK private (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

const invalid = (message: string, cause?: unknown) => new VerifierError('dpop_proof_invalid', message, cause === undefined ? {} : { cause });

/** A URL compared as RFC 9449 §4.3 asks: without query and fragment, normalised by WHATWG URL parsing. */
function htuOf(value: unknown): string | undefined {
  if (typeof value !== 'string' && !(value instanceof URL)) return undefined;
  const url = URL.parse(String(value));
  if (!url) return undefined;
  url.search = '';
  url.hash = '';
  return url.href;
}

/**
 * Checks a DPoP proof (RFC 9449 §4.3, §7.1) for a request carrying `token`, bound to the key
 * whose thumbprint is `jkt`. The replay check comes last, so proofs failing anything else never
 * take room in the replay cache.
 */
export async function verifyDpopProof(request: DPoPRequest, token: string, jkt: string, settings: ProofSettings): Promise<void> {
  const { proof } = request;
  if (typeof proof !== 'string' || proof === '') throw invalid('the request carries no DPoP proof');
  // Node joins repeated headers with ", ": RFC 9449 §4.3 allows exactly one proof.
  if (!compactJws.test(proof)) throw invalid('the DPoP header must carry exactly one proof JWT');

  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch (cause) {
    throw invalid('the DPoP proof is malformed', cause);
  }
  if (header.typ !== 'dpop+jwt') throw invalid('the DPoP proof typ must be dpop+jwt');
  if (typeof header.alg !== 'string' || !settings.algorithms.includes(header.alg)) {
    throw invalid(`the DPoP proof must be signed with one of ${settings.algorithms.join(' ')}`);
  }
  const jwk = header.jwk as JWK | undefined;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw invalid('the DPoP proof carries no public key (jwk)');
  if (jwk.kty === 'oct' || PRIVATE_MEMBERS.some((member) => member in jwk)) throw invalid('the DPoP proof jwk must be a public key');

  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: [...settings.algorithms] }));
  } catch (cause) {
    if (cause instanceof errors.JOSEError) throw invalid('the DPoP proof signature is invalid', cause);
    throw cause;
  }

  if (typeof payload.jti !== 'string' || payload.jti === '' || payload.jti.length > 256) throw invalid('the DPoP proof needs a jti');
  if (payload.htm !== request.method.toUpperCase()) throw invalid('the DPoP proof htm does not match the request method');
  const expected = htuOf(request.url);
  if (!expected) throw new TypeError(`DPoP: the request URL ${JSON.stringify(String(request.url))} is not absolute`);
  if (htuOf(payload.htu) !== expected) throw invalid('the DPoP proof htu does not match the request URL');
  const now = Date.now() / 1000;
  if (typeof payload.iat !== 'number' || !Number.isFinite(payload.iat)) throw invalid('the DPoP proof needs a numeric iat');
  if (payload.iat > now + settings.clockTolerance) throw invalid('the DPoP proof iat is in the future');
  if (payload.iat < now - settings.maxAgeSeconds - settings.clockTolerance) throw invalid('the DPoP proof is too old (iat)');
  if (payload.ath !== createHash('sha256').update(token).digest('base64url')) throw invalid('the DPoP proof ath does not match the access token');
  if ((await calculateJwkThumbprint(jwk)) !== jkt) throw invalid('the DPoP proof is signed with another key than the access token is bound to');

  // Long enough that the proof is too old by the time its id is forgotten.
  const ttl = settings.maxAgeSeconds + 2 * settings.clockTolerance + 1;
  if (!(await settings.claim(`${jkt}:${payload.jti}`, ttl))) throw invalid('the DPoP proof was already used (jti)');
}
