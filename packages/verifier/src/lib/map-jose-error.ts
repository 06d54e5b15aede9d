import { errors } from 'jose';

import { VerifierError } from '../verifier-error.js';

const claimProblems: Record<string, string> = {
  typ: 'the token is not an access token (typ must be at+jwt)',
  iss: 'the access token was issued by another issuer',
  aud: 'the access token is meant for another audience',
  nbf: 'the access token is not valid yet',
  iat: 'the access token has an unacceptable iat',
};

/**
 * Turns whatever jwtVerify threw into a VerifierError. Descriptions are our own fixed sentences,
 * not jose's messages: they end up in a WWW-Authenticate quoted string, where RFC 6750 forbids
 * `"` and `\`, and they should not change when jose rewords a message.
 */
export function mapJoseError(error: unknown): unknown {
  if (error instanceof VerifierError) return error;
  if (error instanceof errors.JWTExpired) return new VerifierError('token_expired', 'the access token expired', { cause: error });
  if (error instanceof errors.JWTClaimValidationFailed) {
    const description = error.reason === 'missing'
      ? `the access token lacks the ${error.claim} claim`
      : claimProblems[error.claim] ?? `the access token's ${error.claim} claim is unacceptable`;
    return new VerifierError('token_invalid', description, { cause: error });
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return new VerifierError('token_invalid', 'the access token is not signed with RS256', { cause: error });
  if (error instanceof errors.JWSSignatureVerificationFailed) return new VerifierError('token_invalid', 'the access token signature is invalid', { cause: error });
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return new VerifierError('token_invalid', 'the access token is malformed', { cause: error });
  if (error instanceof errors.JOSEError) return new VerifierError('token_invalid', 'the access token is invalid', { cause: error });
  // Anything else is a bug or a bad option (jose throws TypeError for those): not the caller's fault.
  return error;
}
