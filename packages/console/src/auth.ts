/**
 * Signing in to the console through Gatehouse itself: authorization code with PKCE as the public
 * client `gatehouse-console`, tokens for the management API. Tokens are kept in this tab's
 * sessionStorage (gone when the tab closes; never localStorage) and refreshed before they expire.
 */

export interface ConsoleSettings { issuer: string; clientId: string; apiResource: string; base: string; scopes: readonly string[] }

interface Tokens { accessToken: string; expiresAt: number; refreshToken?: string; idToken: string; scope: string }
interface Pending { state: string; verifier: string; nonce: string; returnTo: string }
interface Endpoints { authorization_endpoint: string; token_endpoint: string; end_session_endpoint?: string }

const TOKENS = 'gatehouse-console:tokens';
const PENDING = 'gatehouse-console:pending';
/** Refresh this long before expiry, so a request never leaves with a token about to die. */
const EARLY_MS = 30_000;

const base64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const random = () => base64url(crypto.getRandomValues(new Uint8Array(32)));

/** The ID token's claims. It came straight from the token endpoint over this origin's connection, so its signature need not be checked here (OIDC Core 3.1.3.7). */
function claimsOf(idToken: string): Record<string, unknown> {
  const part = idToken.split('.')[1] ?? '';
  const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(decodeURIComponent(Array.from(json, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join(''))) as Record<string, unknown>;
}

export class SignInError extends Error {
  override name = 'SignInError';
}

export function createAuth(settings: ConsoleSettings) {
  const redirectUri = `${settings.issuer}/admin/`;
  let endpoints: Promise<Endpoints> | undefined;
  let refreshing: Promise<Tokens> | undefined;

  const discover = () => {
    endpoints ??= fetch(`${settings.issuer}/.well-known/openid-configuration`).then(async (r) => {
      if (!r.ok) throw new SignInError(`Gatehouse's discovery document answered ${r.status}`);
      return await r.json() as Endpoints;
    });
    return endpoints;
  };
  const stored = (): Tokens | undefined => {
    const raw = sessionStorage.getItem(TOKENS);
    return raw ? JSON.parse(raw) as Tokens : undefined;
  };
  const store = (tokens: Tokens) => sessionStorage.setItem(TOKENS, JSON.stringify(tokens));

  async function tokenRequest(form: Record<string, string>): Promise<Tokens> {
    const { token_endpoint } = await discover();
    const response = await fetch(token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ client_id: settings.clientId, ...form }),
    });
    const body = await response.json().catch(() => ({})) as Record<string, string | number | undefined>;
    if (!response.ok) throw new SignInError(String(body.error_description ?? body.error ?? `the token endpoint answered ${response.status}`));
    const previous = stored();
    return {
      accessToken: String(body.access_token),
      expiresAt: Date.now() + Number(body.expires_in ?? 60) * 1000,
      refreshToken: body.refresh_token === undefined ? previous?.refreshToken : String(body.refresh_token),
      idToken: body.id_token === undefined ? previous?.idToken ?? '' : String(body.id_token),
      scope: String(body.scope ?? previous?.scope ?? ''),
    };
  }

  return {
    /** Leaves for Gatehouse's sign-in page; comes back to `returnTo` (a console path). */
    async signIn(returnTo: string): Promise<never> {
      const { authorization_endpoint } = await discover();
      const pending: Pending = { state: random(), verifier: random(), nonce: random(), returnTo };
      sessionStorage.setItem(PENDING, JSON.stringify(pending));
      const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(pending.verifier))));
      const url = new URL(authorization_endpoint);
      url.search = new URLSearchParams({
        client_id: settings.clientId, response_type: 'code', redirect_uri: redirectUri,
        // offline_access (granted with prompt=consent, which a first-party client passes without a page) lets the console refresh its short-lived API tokens.
        scope: ['openid', 'profile', 'offline_access', ...settings.scopes].join(' '), prompt: 'consent',
        resource: settings.apiResource, state: pending.state, nonce: pending.nonce,
        code_challenge: challenge, code_challenge_method: 'S256',
      }).toString();
      location.assign(url.href);
      return new Promise<never>(() => {});
    },

    /** On return from Gatehouse: redeems the code. Answers where to go next, or undefined when this load is not a sign-in's return. */
    async completeSignIn(url: URL): Promise<string | undefined> {
      const state = url.searchParams.get('state');
      if (!state || (!url.searchParams.has('code') && !url.searchParams.has('error'))) return undefined;
      const raw = sessionStorage.getItem(PENDING);
      sessionStorage.removeItem(PENDING);
      const pending = raw ? JSON.parse(raw) as Pending : undefined;
      if (!pending || pending.state !== state) throw new SignInError('This sign-in was not started here (or was already used). Sign in again.');
      const error = url.searchParams.get('error');
      if (error) throw new SignInError(url.searchParams.get('error_description') ?? error);
      const tokens = await tokenRequest({ grant_type: 'authorization_code', code: url.searchParams.get('code') ?? '', redirect_uri: redirectUri, code_verifier: pending.verifier });
      const claims = claimsOf(tokens.idToken);
      if (claims.nonce !== pending.nonce || claims.iss !== settings.issuer) throw new SignInError('The sign-in answer does not belong to this sign-in. Sign in again.');
      store(tokens);
      return pending.returnTo;
    },

    signedIn: () => stored() !== undefined,

    /** Who signed in: the ID token's subject and name. */
    person(): { sub: string; name: string } | undefined {
      const tokens = stored();
      if (!tokens) return undefined;
      const claims = claimsOf(tokens.idToken);
      return { sub: String(claims.sub), name: String(claims.preferred_username ?? claims.name ?? claims.sub) };
    },

    /** The management scopes the token holds. */
    scopes: (): Set<string> => new Set((stored()?.scope ?? '').split(' ').filter(Boolean)),

    /** A current access token: refreshed (once, however many requests wait) when near its end. */
    async accessToken(): Promise<string> {
      const tokens = stored();
      if (!tokens) throw new SignInError('Not signed in');
      if (tokens.expiresAt - EARLY_MS > Date.now() || !tokens.refreshToken) return tokens.accessToken;
      refreshing ??= tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.refreshToken })
        .then((fresh) => { store(fresh); return fresh; })
        .finally(() => { refreshing = undefined; });
      return (await refreshing).accessToken;
    },

    forget: () => sessionStorage.removeItem(TOKENS),

    /** Signs out of Gatehouse too (RP-initiated logout), which ends the console's grant. */
    async signOut(): Promise<never> {
      const tokens = stored();
      sessionStorage.removeItem(TOKENS);
      const { end_session_endpoint } = await discover();
      if (!end_session_endpoint || !tokens) {
        location.assign(redirectUri);
      } else {
        const url = new URL(end_session_endpoint);
        url.search = new URLSearchParams({ id_token_hint: tokens.idToken, post_logout_redirect_uri: redirectUri, client_id: settings.clientId }).toString();
        location.assign(url.href);
      }
      return new Promise<never>(() => {});
    },
  };
}

export type Auth = ReturnType<typeof createAuth>;
