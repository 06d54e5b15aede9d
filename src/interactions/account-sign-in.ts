import { createHash } from 'node:crypto';

import { createRemoteJWKSet, jwtVerify } from 'jose';
import type Provider from 'oidc-provider';

import { ACCOUNT_CALLBACK_PATH, ACCOUNT_CLIENT_ID } from '../domain/account/account-client.js';
import { AppError } from '../domain/errors.js';

/** The account page's sign-in failed after the person signed in (a token exchange or ID token problem). */
export class AccountSignInError extends AppError {
  constructor(message: string, cause?: unknown) {
    super('account_sign_in_failed', 502, message, { cause });
  }
}

export interface AccountSignInDeps {
  issuer: string;
  clientSecret: string;
  /** This node's own listening address (loopback): where the code is exchanged and the JWKS read. */
  localUrl: () => string;
  provider: () => Provider;
}

/**
 * The account page as an OpenID Connect relying party of Gatehouse itself: authorization code
 * with PKCE (S256), state and nonce, exchanged with the client's secret at this node's own token
 * endpoint over loopback (no outbound network, no DNS for the public name), the ID token verified
 * against the published keys (iss, aud, exp, nonce). The Gatehouse session the sign-in went
 * through is read from the access token's record (`sessionUid`), never from a cookie.
 */
export function createAccountSignIn(deps: AccountSignInDeps) {
  const redirectUri = `${deps.issuer}${ACCOUNT_CALLBACK_PATH}`;
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  // RFC 6749 §2.3.1: each half form-encoded, then Base64.
  const basicAuthorization = `Basic ${Buffer.from(`${encodeURIComponent(ACCOUNT_CLIENT_ID)}:${encodeURIComponent(deps.clientSecret)}`).toString('base64')}`;

  return {
    authorizationUrl(pending: { state: string; nonce: string; codeVerifier: string }): string {
      const url = new URL('/auth', deps.issuer);
      url.search = new URLSearchParams({
        client_id: ACCOUNT_CLIENT_ID, response_type: 'code', scope: 'openid', redirect_uri: redirectUri,
        state: pending.state, nonce: pending.nonce, code_challenge_method: 'S256',
        code_challenge: createHash('sha256').update(pending.codeVerifier).digest('base64url'),
      }).toString();
      return url.href;
    },

    /** Exchanges the code; the account id and Gatehouse session uid it was issued for. */
    async complete(code: string, pending: { nonce: string; codeVerifier: string }): Promise<{ userId: string; sessionUid: string }> {
      const local = deps.localUrl();
      const response = await fetch(new URL('/token', local), {
        method: 'POST',
        headers: { authorization: basicAuthorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: pending.codeVerifier }),
        signal: AbortSignal.timeout(10_000),
      }).catch((error: unknown) => { throw new AccountSignInError('the token endpoint could not be reached', error); });
      const tokens = await response.json().catch(() => ({})) as { id_token?: string; access_token?: string; error?: string };
      if (!response.ok || !tokens.id_token || !tokens.access_token) throw new AccountSignInError(`the code was refused (${tokens.error ?? response.status})`);
      jwks ??= createRemoteJWKSet(new URL('/jwks', local));
      const { payload } = await jwtVerify(tokens.id_token, jwks, { issuer: deps.issuer, audience: ACCOUNT_CLIENT_ID, algorithms: ['RS256'] })
        .catch((error: unknown) => { throw new AccountSignInError('the ID token did not verify', error); });
      if (payload.nonce !== pending.nonce || typeof payload.sub !== 'string') throw new AccountSignInError('the ID token is not for this sign-in');
      const record = await deps.provider().AccessToken.find(tokens.access_token);
      const sessionUid = (record as { sessionUid?: string } | undefined)?.sessionUid;
      if (!record || record.accountId !== payload.sub || !sessionUid) throw new AccountSignInError('the sign-in has no Gatehouse session');
      return { userId: payload.sub, sessionUid };
    },
  };
}

export type AccountSignIn = ReturnType<typeof createAccountSignIn>;
