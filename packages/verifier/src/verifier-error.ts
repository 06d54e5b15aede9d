/**
 * Stable failure codes of the verifier. Services may switch on them; they never change meaning.
 *
 * | code | status | meaning |
 * | --- | --- | --- |
 * | `token_missing` | 401 | no bearer token in the request |
 * | `token_invalid` | 401 | malformed, forged, wrong issuer/audience/type/algorithm, unknown key, or revoked (introspection) |
 * | `token_expired` | 401 | `exp` is past (beyond the clock tolerance) |
 * | `dpop_required` | 401 | a DPoP-bound token (`cnf.jkt`) was presented as a bearer token (RFC 9449 §7.2) |
 * | `dpop_proof_invalid` | 401 | the DPoP proof is missing, malformed, replayed, or does not match the request, the token or its key |
 * | `insufficient_lab` | 403 | the route needs a lab and the token acts in none |
 * | `insufficient_role` | 403 | the token lacks the resource role or lab role the route needs |
 * | `insufficient_scope` | 403 | the token lacks a scope the route needs |
 * | `keys_unavailable` | 503 | discovery or JWKS could not be fetched and no usable keys are cached |
 * | `introspection_unavailable` | 503 | the introspection endpoint did not answer |
 *
 * @example
 * ```ts
 * import type { VerifierErrorCode } from '@gatehouse/verifier';
 *
 * const retryable: VerifierErrorCode[] = ['keys_unavailable', 'introspection_unavailable'];
 * ```
 */
export type VerifierErrorCode =
  | 'token_missing'
  | 'token_invalid'
  | 'token_expired'
  | 'token_revoked'
  | 'dpop_required'
  | 'dpop_proof_invalid'
  | 'insufficient_lab'
  | 'insufficient_role'
  | 'insufficient_scope'
  | 'keys_unavailable'
  | 'introspection_unavailable'
  | 'revocations_unavailable';

const statusOf: Record<VerifierErrorCode, 401 | 403 | 503> = {
  token_missing: 401,
  token_invalid: 401,
  token_expired: 401,
  token_revoked: 401,
  dpop_required: 401,
  dpop_proof_invalid: 401,
  insufficient_lab: 403,
  insufficient_role: 403,
  insufficient_scope: 403,
  keys_unavailable: 503,
  introspection_unavailable: 503,
  revocations_unavailable: 503,
};

/**
 * Every failure of `verify`, `introspect` and the requirement helpers. `code` is stable, `status`
 * is the HTTP status a resource server should answer with, `message` is a human-readable
 * description safe to send to the client (it never contains the token or key material), and
 * `cause` keeps the underlying jose or network error for logs.
 *
 * @example
 * ```ts
 * import { VerifierError } from '@gatehouse/verifier';
 *
 * try {
 *   const claims = await verifier.verify(token);
 * } catch (error) {
 *   if (error instanceof VerifierError && error.code === 'token_expired') {
 *     // tell the client to refresh, e.g. answer 401
 *   }
 *   throw error;
 * }
 * ```
 */
export class VerifierError extends Error {
  override readonly name = 'VerifierError';
  /** The stable failure code. */
  readonly code: VerifierErrorCode;
  /** HTTP status for this failure: 401, 403 or 503. */
  readonly status: 401 | 403 | 503;
  /** For `insufficient_scope`: the space-separated scopes the route needs (RFC 6750 §3 `scope`). */
  readonly scope: string | undefined;

  constructor(code: VerifierErrorCode, message: string, options: { cause?: unknown; scope?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = statusOf[code];
    this.scope = options.scope;
  }
}
