import { errors } from 'oidc-provider';

import { RESOURCES_PROPERTY } from '../domain/client-metadata.js';

interface Caller { clientId: string; clientAuthMethod?: string }

/**
 * Who may introspect a token: the client it was issued to, and a confidential client that is
 * (or acts for) a resource the token is for — a resource server asking about tokens presented
 * to it. Nobody else learns another client's tokens: they get `active: false`. Applied to opaque
 * tokens by oidc-provider and to JWTs by Gatehouse, so both answer alike.
 */
export function mayIntrospect(caller: Caller, tokenClientId: string | undefined, audience?: string | string[]): boolean {
  if (tokenClientId !== undefined && tokenClientId === caller.clientId) return true;
  if (caller.clientAuthMethod === 'none' || audience === undefined) return false;
  const resources = (caller as Caller & Record<string, unknown>)[RESOURCES_PROPERTY] as string[] | undefined ?? [];
  return (Array.isArray(audience) ? audience : [audience]).some((aud) => resources.includes(aud));
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
