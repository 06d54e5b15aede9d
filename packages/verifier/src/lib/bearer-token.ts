import { VerifierError } from '../verifier-error.js';

// RFC 6750 §2.1 b64token.
const b64token = /^[A-Za-z0-9\-._~+/]+=*$/;

/** The access token of a request and the scheme it came with. */
export interface Credentials { scheme: 'Bearer' | 'DPoP'; token: string }

/**
 * The access token of a request: the Authorization header first (`Bearer`, or `DPoP` for a
 * DPoP-bound token, RFC 9449 §7.1), then (only if the service opted in) the named cookie, which
 * is a bearer token. `undefined` means no credentials at all, which RFC 6750 §3.1 answers without
 * an error code; a Bearer or DPoP header with a malformed value is an invalid token.
 */
export function readCredentials(authorization: string | undefined, cookieHeader: string | undefined, cookieName: string | undefined): Credentials | undefined {
  if (authorization) {
    const match = /^(Bearer|DPoP)(?:\s+(.*))?$/i.exec(authorization.trim());
    if (match) {
      const scheme = match[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
      const token = match[2]?.trim() ?? '';
      if (!b64token.test(token)) throw new VerifierError('token_invalid', `the Authorization header does not carry a well-formed ${scheme} token`);
      return { scheme, token };
    }
    // Another scheme (Basic...) is not ours: treat as no token.
  }
  if (cookieName && cookieHeader) {
    for (const pair of cookieHeader.split(';')) {
      const at = pair.indexOf('=');
      if (at < 0 || pair.slice(0, at).trim() !== cookieName) continue;
      let value = pair.slice(at + 1).trim();
      if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
      try {
        value = decodeURIComponent(value);
      } catch {
        throw new VerifierError('token_invalid', 'the access token cookie is malformed');
      }
      return value === '' ? undefined : { scheme: 'Bearer', token: value };
    }
  }
  return undefined;
}
