import type { VerifierError } from '../verifier-error.js';

/** What the middleware answers for a VerifierError, framework-neutral. */
export interface Challenge {
  status: number;
  headers: Record<string, string>;
  body: { error: string; error_description: string };
}

// RFC 6750 §3: quoted values may not contain `"` or `\`; our texts never do, this is a backstop
// for custom requirements' messages.
const quote = (value: string) => `"${value.replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, '?')}"`;

/**
 * The response for a failed request. The body's `error` is the verifier's stable code (finer than
 * RFC 6750's: a client can tell expired from invalid); the WWW-Authenticate header carries the
 * standard code: none for a missing token, `invalid_token` for 401, `insufficient_scope` for 403,
 * `invalid_dpop_proof` for a bad DPoP proof, `insufficient_user_authentication` with `acr_values`
 * for a sign-in too weak for the route (RFC 9470). `dpopAlgs` is given when the request used the DPoP
 * scheme or must use it (a DPoP-bound token sent as Bearer): the challenge is then a `DPoP` one
 * naming the accepted proof algorithms (RFC 9449 §7.1). `resourceMetadata` is the URL of the
 * service's protected resource metadata (RFC 9728), named in every challenge.
 */
export function challengeFor(error: VerifierError, realm: string, retryAfterSeconds: number, dpopAlgs?: readonly string[], resourceMetadata?: string): Challenge {
  const body = { error: error.code, error_description: error.message };
  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  if (error.status === 503) {
    headers['retry-after'] = String(retryAfterSeconds);
    return { status: 503, headers, body };
  }
  const params = [`realm=${quote(realm)}`];
  // RFC 9728 §5.1: where a client finds this resource's metadata, and from it the authorization server.
  if (resourceMetadata) params.push(`resource_metadata=${quote(resourceMetadata)}`);
  if (error.code !== 'token_missing') {
    const code = error.status === 403 ? 'insufficient_scope'
      : error.code === 'dpop_proof_invalid' ? 'invalid_dpop_proof'
        : error.code === 'insufficient_user_authentication' ? 'insufficient_user_authentication' : 'invalid_token';
    params.push(`error=${quote(code)}`, `error_description=${quote(error.message)}`);
    if (error.scope) params.push(`scope=${quote(error.scope)}`);
    // RFC 9470 §3: what to ask the authorization server for (acr_values) on the way back.
    if (error.acrValues) params.push(`acr_values=${quote(error.acrValues)}`);
  }
  if (dpopAlgs) params.push(`algs=${quote(dpopAlgs.join(' '))}`);
  headers['www-authenticate'] = `${dpopAlgs ? 'DPoP' : 'Bearer'} ${params.join(', ')}`;
  return { status: error.status, headers, body };
}
