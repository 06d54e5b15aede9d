import { createHash, randomBytes } from 'node:crypto';

import { loginAndConsent } from './form-login.js';
import { john, portal, postForm } from './harness.js';

export interface TokenSet { access_token: string; refresh_token?: string; id_token?: string; scope?: string; expires_in: number }

/** Runs the whole browser flow for `portal` over HTTP and redeems the code: a user's token set. */
export async function userTokens(issuer: string, options: { scope?: string; resource?: string; user?: { username: string; password: string }; extra?: Record<string, string> } = {}): Promise<TokenSet> {
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL(`${issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: portal.id,
    response_type: 'code',
    redirect_uri: portal.redirectUri,
    scope: options.scope ?? 'openid offline_access',
    prompt: 'consent',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...(options.resource ? { resource: options.resource } : {}),
    ...options.extra,
  }).toString();
  const callback = new URL(await loginAndConsent(url.href, portal.redirectUri, options.user ?? john));
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`no code in ${callback.href}`);
  const { status, body } = await postForm(`${issuer}/token`, { grant_type: 'authorization_code', code, redirect_uri: portal.redirectUri, code_verifier: verifier }, portal);
  if (status !== 200) throw new Error(`code exchange failed: ${status} ${JSON.stringify(body)}`);
  return body as unknown as TokenSet;
}

export const refresh = (issuer: string, refreshToken: string, extra: Record<string, string> = {}) =>
  postForm(`${issuer}/token`, { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra }, portal);

export async function introspect(issuer: string, token: string, caller: { id: string; secret: string } = portal): Promise<Record<string, unknown>> {
  const { status, body } = await postForm(`${issuer}/token/introspection`, { token }, caller);
  if (status !== 200) throw new Error(`introspection answered ${status} ${JSON.stringify(body)}`);
  return body;
}

export async function revoke(issuer: string, token: string, caller: { id: string; secret: string } = portal) {
  return postForm(`${issuer}/token/revocation`, { token }, caller);
}
