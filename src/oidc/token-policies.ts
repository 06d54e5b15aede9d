import { errors } from 'oidc-provider';

interface Caller { clientId: string; clientAuthMethod?: string }

/**
 * Who may introspect a token: any confidential client (resource servers are clients), but a
 * public client only its own tokens. Applied to opaque tokens by oidc-provider and to JWTs by
 * Gatehouse, so both answer alike.
 */
export function mayIntrospect(caller: Caller, tokenClientId: string | undefined): boolean {
  return caller.clientAuthMethod !== 'none' || tokenClientId === caller.clientId;
}

/**
 * Who may revoke a token (RFC 7009 §2.1): only the client it was issued to. A public client
 * asking for someone else's token gets a silent success, so tokens cannot be probed.
 */
export function mayRevoke(caller: Caller, tokenClientId: string | undefined): boolean {
  if (tokenClientId === caller.clientId) return true;
  if (caller.clientAuthMethod === 'none') return false;
  throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
}
