import { VerifierError } from '../verifier-error.js';

// RFC 6750 §2.1 b64token.
const b64token = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * The bearer token of a request: the Authorization header first, then (only if the service opted
 * in) the named cookie. `undefined` means no credentials at all, which RFC 6750 §3.1 answers
 * without an error code; a Bearer header with a malformed value is an invalid token.
 */
export function readBearerToken(authorization: string | undefined, cookieHeader: string | undefined, cookieName: string | undefined): string | undefined {
  if (authorization) {
    const match = /^Bearer(?:\s+(.*))?$/i.exec(authorization.trim());
    if (match) {
      const token = match[1]?.trim() ?? '';
      if (!b64token.test(token)) throw new VerifierError('token_invalid', 'the Authorization header does not carry a well-formed bearer token');
      return token;
    }
    // Another scheme (Basic, DPoP...) is not ours: treat as no bearer token.
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
      return value === '' ? undefined : value;
    }
  }
  return undefined;
}
