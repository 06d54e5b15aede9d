/**
 * The halves of an RFC 6749 §2.3.1 Basic Authorization header, each form-decoded (a half that
 * is not valid percent-encoding stays as sent: oidc-provider refuses it as malformed). Undefined
 * when the header is not Basic.
 */
export function basicCredentials(header: string): { clientId: string; secret?: string } | undefined {
  const match = /^Basic\s+(.+)$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const formDecoded = (half: string) => {
    try {
      return decodeURIComponent(half.replace(/\+/g, ' '));
    } catch {
      return half;
    }
  };
  return colon === -1
    ? { clientId: formDecoded(decoded) }
    : { clientId: formDecoded(decoded.slice(0, colon)), secret: formDecoded(decoded.slice(colon + 1)) };
}
