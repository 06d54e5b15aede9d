import { createHash, randomBytes } from 'node:crypto';

import { totpCodeAt } from '../../src/domain/factors/totp.js';
import { FormBrowser, type Page } from './form-login.js';
import { portal, postForm } from './harness.js';

/** The TOTP key shown on the enrolment page (the only time it is shown). */
export const secretOn = (page: Page): string => {
  const match = /<code class="totp-secret"[^>]*>([A-Z2-7]+)<\/code>/.exec(page.html);
  if (!match) throw new Error(`no TOTP key on ${page.url}:\n${page.html}`);
  return match[1]!;
};

/** Recovery codes listed on the page after an enrolment. */
export const recoveryCodesOn = (page: Page): string[] => [...page.html.matchAll(/<li><code>([A-Z0-9-]+)<\/code><\/li>/g)].map((m) => m[1]!);

/** A code of the step `offsetSteps` from now: each sign-in must use a later step than the last (codes work once). */
export const codeFor = (secret: string, offsetSteps = 0): string => totpCodeAt(secret, new Date(Date.now() + offsetSteps * 30_000));

export const isEnrolmentPage = (page: Page) => page.html.includes('/mfa/enrol"');
export const isChallengePage = (page: Page) => page.html.includes('/mfa"');
export const isPasswordPage = (page: Page) => page.html.includes('/login"');

/** An authorization request of `portal` (PKCE), driven over HTTP by a FormBrowser that keeps its cookies. */
export class SignIn {
  readonly browser = new FormBrowser(portal.redirectUri);
  constructor(private readonly issuer: string) {}

  async start(params: Record<string, string> = {}): Promise<{ page: Page; verifier: string }> {
    const verifier = randomBytes(32).toString('base64url');
    const url = new URL(`${this.issuer}/auth`);
    url.search = new URLSearchParams({
      client_id: portal.id, response_type: 'code', redirect_uri: portal.redirectUri, scope: 'openid offline_access', prompt: 'consent',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256', ...params,
    }).toString();
    return { page: await this.browser.go(url.href), verifier };
  }

  password(page: Page, user: { username: string; password: string }): Promise<Page> {
    return this.browser.submit(page, '/login', { login: user.username, password: user.password });
  }

  /** Consents if asked, then redeems the code: the token response. */
  async finish(page: Page, verifier: string): Promise<Record<string, any>> {
    let current = page;
    if (current.html.includes('/confirm"')) current = await this.browser.submit(current, '/confirm');
    if (!current.url.startsWith(portal.redirectUri)) throw new Error(`expected the callback, got ${current.status} ${current.url}:\n${current.html}`);
    const code = new URL(current.url).searchParams.get('code')!;
    const { status, body } = await postForm(`${this.issuer}/token`, { grant_type: 'authorization_code', code, redirect_uri: portal.redirectUri, code_verifier: verifier }, portal);
    if (status !== 200) throw new Error(`code exchange failed: ${status} ${JSON.stringify(body)}`);
    return body;
  }
}
