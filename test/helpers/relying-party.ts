import * as oidc from 'openid-client';

import { portal } from './harness.js';

/** openid-client configured for a client of the Gatehouse at `issuer`, with ID-token signature checks on. */
export async function discoverClient(issuer: string, clientId: string, secret?: string): Promise<oidc.Configuration> {
  const config = await oidc.discovery(
    new URL(issuer), clientId, undefined,
    secret ? oidc.ClientSecretBasic(secret) : oidc.None(),
    { execute: [oidc.allowInsecureRequests] },
  );
  // v6 only checks the ID token signature against JWKS with non-repudiation checks on.
  oidc.enableNonRepudiationChecks(config);
  return config;
}

/** A PKCE authorization request for `portal`, with the values the callback must be checked against. */
export async function portalAuthorization(config: oidc.Configuration, params: { scope: string; resource?: string }) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: portal.redirectUri, scope: params.scope, state, nonce,
    ...(params.resource ? { resource: params.resource } : {}),
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  return { url, verifier, state, nonce };
}
