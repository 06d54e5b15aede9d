import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';

import { FormBrowser, type Page } from './helpers/form-login.js';
import { john, mode, portal, productionHashing, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';

const GENERIC_FAILURE = 'Invalid username or password.';
const blockedBob = { username: 'blocked-bob', password: 'pass123-long-enough' };


/** Any script but the pages' own same-origin files (the passkey button): nothing inline, nothing injected. */
const INJECTED_SCRIPT = /<script(?![^>]*\ssrc="\/static\/[a-z-]+\.js")/i;
describe(`login and consent pages over plain HTTP (${mode})`, () => {
  let gh: TestGatehouse;
  before(async () => {
    // Production's argon2 cost: the timing test below tells a decoy verification from none.
    gh = await startTestGatehouse(productionHashing);
  });
  after(async () => gh?.stop());

  function authorizationUrl(extra: Record<string, string> = {}): { url: string; state: string } {
    const state = randomBytes(12).toString('base64url');
    const url = new URL(`${gh.issuer}/auth`);
    url.search = new URLSearchParams({ client_id: portal.id, response_type: 'code', scope: 'openid', redirect_uri: portal.redirectUri, state, ...extra }).toString();
    return { url: url.href, state };
  }

  /** A new browser (no cookies) on a fresh login page. */
  async function openLogin(extra: Record<string, string> = {}): Promise<{ browser: FormBrowser; page: Page; state: string }> {
    const browser = new FormBrowser(portal.redirectUri);
    const { url, state } = authorizationUrl(extra);
    const page = await browser.go(url);
    assert.equal(page.status, 200);
    assert.ok(isLoginPage(page), `expected the login page:\n${page.html}`);
    return { browser, page, state };
  }

  const isLoginPage = (page: Page) => /<form[^>]*action="\/interaction\/[^"]+\/login"/.test(page.html);
  const isConsentPage = (page: Page) => /<form[^>]*action="\/interaction\/[^"]+\/confirm"/.test(page.html);
  const csrfOf = (page: Page) => /<input type="hidden" name="csrf" value="([^"]*)">/.exec(page.html)![1]!;
  const loginActionOf = (page: Page) => new URL(/<form[^>]*action="([^"]+\/login)"/.exec(page.html)![1]!, page.url).href;
  /** The page's interaction itself (GET /interaction/:uid): the login page arrives in the answer to /auth, a reload there starts another. */
  const interactionOf = (page: Page) => loginActionOf(page).replace(/\/login$/, '');
  const alertOf = (page: Page) => /<p[^>]*role="alert"[^>]*>([^<]*)<\/p>/.exec(page.html)?.[1];

  describe('the login page in the answer to the authorization request', () => {
    it('answers /auth with the login page itself, no redirect to it, with its interaction cookie scoped to the form; the page signs in, and GET /interaction/:uid shows it too', async () => {
      const { url } = authorizationUrl({ login_hint: 'john' });
      const response = await fetch(url, { redirect: 'manual', headers: { accept: 'text/html' } });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('location'), null);
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      const html = await response.text();
      const uid = /action="\/interaction\/([^/"]+)\/login"/.exec(html)?.[1];
      assert.ok(uid, html);
      assert.ok(html.includes('value="john"'), 'the login_hint is filled in');
      const cookies = response.headers.getSetCookie();
      assert.ok(cookies.some((c) => c.startsWith('_interaction=') && c.includes(`path=/interaction/${uid}`)), cookies.join('\n'));

      const browser = new FormBrowser(portal.redirectUri);
      const page = await browser.go(url);
      assert.ok(isLoginPage(page), page.html);
      assert.ok(page.url.startsWith(`${gh.issuer}/auth?`), `no hop to the interaction page: ${page.url}`);
      const shown = await browser.go(interactionOf(page));
      assert.ok(isLoginPage(shown) && loginActionOf(shown) === loginActionOf(page), shown.html);
      assert.ok(isConsentPage(await browser.submit(page, '/login', { login: john.username, password: john.password })));
    });
  });

  describe('the resume in the answer to the post that ends an interaction', () => {
    it('answers the login post with the next interaction (consent) and the consent post with the redirect carrying the code and state: no request to /auth/:uid', async () => {
      const { browser, page, state } = await openLogin();
      const post = async (action: string, form: Record<string, string>) => {
        const response = await fetch(action, {
          method: 'POST', redirect: 'manual', body: new URLSearchParams(form),
          headers: { cookie: browser.jar.header(action), accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded', origin: new URL(gh.issuer).origin },
        });
        browser.jar.store(response);
        return response;
      };
      const login = await post(loginActionOf(page), { csrf: csrfOf(page), login: john.username, password: john.password });
      assert.equal(login.status, 303);
      const next = new URL(login.headers.get('location')!, gh.issuer);
      assert.match(next.pathname, /^\/interaction\/[^/]+$/, `the consent interaction, not the resume: ${next.href}`);
      assert.notEqual(next.pathname, interactionOf(page).replace(gh.issuer, ''), 'a new interaction');
      const consent = await browser.go(next.href);
      assert.ok(isConsentPage(consent), consent.html);
      const confirmAction = new URL(/<form[^>]*action="([^"]+\/confirm)"/.exec(consent.html)![1]!, gh.issuer).href;
      const confirmed = await post(confirmAction, { csrf: csrfOf(consent) });
      assert.equal(confirmed.status, 303);
      const callback = new URL(confirmed.headers.get('location')!);
      assert.equal(`${callback.origin}${callback.pathname}`, portal.redirectUri);
      assert.ok(callback.searchParams.get('code'), callback.href);
      assert.equal(callback.searchParams.get('state'), state);
      assert.equal(callback.searchParams.get('iss'), gh.issuer);
      // The resume ended the interaction: the same post again is refused.
      assert.equal((await post(confirmAction, { csrf: csrfOf(consent) })).status, 400);
    });
  });

  describe('failed logins', () => {
    it('re-renders a hostile login value escaped, and escapes a hostile login_hint too', async () => {
      const hostile = '<script>alert(1)</script>';
      const { browser, page } = await openLogin();
      const failed = await browser.submit(page, '/login', { login: hostile, password: 'whatever-password' });
      assert.equal(failed.status, 401);
      assert.doesNotMatch(failed.html, INJECTED_SCRIPT);
      assert.ok(failed.html.includes('value="&lt;script&gt;alert(1)&lt;/script&gt;"'), failed.html);

      const hinted = await openLogin({ login_hint: `"><script>alert(1)</script>` });
      assert.doesNotMatch(hinted.page.html, INJECTED_SCRIPT);
      assert.ok(hinted.page.html.includes('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"'), hinted.page.html);
    });

    it('answers unknown user, wrong password and blocked user with the same 401 and the same page', async () => {
      // One interaction for all three, so the pages may differ only in the echoed login.
      const { browser, page } = await openLogin();
      const attempts = [
        { login: 'nobody-at-all', password: 'pass123-long-enough' },
        { login: john.username, password: 'not-johns-password' },
        { login: blockedBob.username, password: blockedBob.password },
      ];
      const pages: string[] = [];
      for (const attempt of attempts) {
        const failed = await browser.submit(page, '/login', attempt);
        assert.equal(failed.status, 401, attempt.login);
        assert.equal(alertOf(failed), GENERIC_FAILURE, attempt.login);
        assert.ok(isLoginPage(failed), attempt.login);
        pages.push(failed.html.replace(`value="${attempt.login}"`, 'value="LOGIN"'));
      }
      assert.equal(pages[1], pages[0]);
      assert.equal(pages[2], pages[0]);
    });

    it('takes about as long for an unknown user as for a wrong password (the decoy argon2 verify runs)', async () => {
      const { browser, page } = await openLogin();
      const timed = async (login: string): Promise<number> => {
        const started = performance.now();
        const failed = await browser.submit(page, '/login', { login, password: 'definitely-wrong-password' });
        const elapsed = performance.now() - started;
        assert.equal(failed.status, 401);
        return elapsed;
      };
      // Warm-up: the decoy hash is computed lazily and the first queries pay for connections.
      await timed('nobody-at-all');
      await timed(john.username);
      const unknown: number[] = [];
      const wrong: number[] = [];
      for (let i = 0; i < 7; i += 1) {
        unknown.push(await timed(`nobody-${i}`));
        wrong.push(await timed(john.username));
      }
      // Without the decoy an unknown user skips argon2 (tens of ms) and answers several times
      // faster; a factor of 2 either way leaves room for a noisy machine.
      const report = `unknown-user median ${median(unknown).toFixed(1)}ms vs wrong-password median ${median(wrong).toFixed(1)}ms`;
      assert.ok(median(unknown) >= 0.5 * median(wrong), report);
      assert.ok(median(wrong) >= 0.5 * median(unknown), report);
    });
  });

  describe('form post protection', () => {
    it('refuses a login post with a missing, garbage or other-interaction CSRF token, and stays logged out', async () => {
      const { browser, page } = await openLogin();
      const other = await openLogin();
      const action = loginActionOf(page);
      for (const csrf of [undefined, 'garbage', csrfOf(other.page)]) {
        const refused = await browser.go(action, { method: 'POST', form: { ...(csrf === undefined ? {} : { csrf }), login: john.username, password: john.password } });
        assert.equal(refused.status, 400, `csrf=${csrf}`);
        assert.ok(refused.html.includes('the form has expired; start again from the application'), `csrf=${csrf} is refused as a CSRF failure: ${refused.html}`);
        assert.ok(!isConsentPage(refused), `csrf=${csrf} must not log in`);
      }
      // The interaction still asks for a login: none of the refused posts signed anyone in.
      const again = await browser.go(interactionOf(page));
      assert.ok(isLoginPage(again), again.html);
      // The same credentials with the page's own token do sign in, so the refusals were the token's doing.
      assert.ok(isConsentPage(await browser.submit(again, '/login', { login: john.username, password: john.password })));
    });

    it('refuses a login post whose Origin is another site (or null), and accepts its own origin', async () => {
      const { browser, page } = await openLogin();
      const form = { csrf: csrfOf(page), login: john.username, password: john.password };
      for (const origin of ['https://evil.example', 'http://127.0.0.1:8081', 'null']) {
        const refused = await browser.go(loginActionOf(page), { method: 'POST', form, origin });
        assert.equal(refused.status, 400, `Origin ${origin}`);
        assert.ok(refused.html.includes('cross-origin form post refused'), `Origin ${origin} is refused for its origin: ${refused.html}`);
        assert.ok(!isConsentPage(refused), `Origin ${origin} must not log in`);
      }
      assert.ok(isLoginPage(await browser.go(interactionOf(page))));
      const accepted = await browser.go(loginActionOf(page), { method: 'POST', form, origin: new URL(gh.issuer).origin });
      assert.ok(isConsentPage(accepted), accepted.html);
    });
  });

  describe('page hardening', () => {
    it('serves login, failed-login and consent pages with a CSP without unsafe-inline, X-Frame-Options DENY, and no inline script or style', async () => {
      const { browser, page } = await openLogin();
      const failed = await browser.submit(page, '/login', { login: john.username, password: 'not-johns-password' });
      const consent = await browser.submit(failed, '/login', { login: john.username, password: john.password });
      assert.ok(isConsentPage(consent));
      for (const [name, p] of [['login', page], ['failed login', failed], ['consent', consent]] as const) {
        const csp = p.headers.get('content-security-policy');
        assert.ok(csp, `${name}: Content-Security-Policy`);
        assert.ok(!csp.includes('unsafe-inline'), `${name}: ${csp}`);
        assert.match(csp, /default-src 'none'/, name);
        assert.match(csp, /frame-ancestors 'none'/, name);
        assert.equal(p.headers.get('x-frame-options'), 'DENY', name);
        assert.equal(p.headers.get('cache-control'), 'no-store', name);
        assert.doesNotMatch(p.html, INJECTED_SCRIPT, name);
        assert.doesNotMatch(p.html, /\sstyle=/i, name);
        assert.doesNotMatch(p.html, /<style/i, name);
      }
    });

    it('uses Referrer-Policy same-origin, under which browsers send the real Origin on the pages\' own posts', async () => {
      // With `no-referrer` browsers send `Origin: null` on form posts, which the Origin check refuses.
      const { page } = await openLogin();
      assert.equal(page.headers.get('referrer-policy'), 'same-origin');
    });
  });

  describe('error pages for people, JSON for programs', () => {
    const EXPIRED = 'This sign-in page has expired';
    const headingOf = (page: Page) => /<h1>([^<]*)<\/h1>/.exec(page.html)?.[1];
    const requestIdOf = (page: Page) => /<code class="request-id">([^<]*)<\/code>/.exec(page.html)?.[1];

    /** The house-style page: the status kept, the request id shown, hardened, and nothing raw. */
    function assertErrorPage(page: Page, status: number, heading: string): void {
      assert.equal(page.status, status, page.html);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      assert.equal(headingOf(page), heading, page.html);
      assert.ok(page.headers.get('x-request-id'), 'the response carries a request id');
      assert.equal(requestIdOf(page), page.headers.get('x-request-id'), 'the page shows the request id');
      assert.match(page.html, /<link rel="stylesheet" href="\/static\/gatehouse.css">/);
      assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      assert.doesNotMatch(page.html, /"error"\s*:|\bat [\w.]+ \(|<script/i, 'no raw JSON, stack or script');
    }

    it('shows the expired page when the login form is posted after the interaction cookie has expired', async () => {
      const { page } = await openLogin();
      // The interaction cookie lives exactly as long as the interaction: a browser posting after
      // it expired has none. A new cookie jar is that browser.
      const later = new FormBrowser(portal.redirectUri);
      const posted = await later.go(loginActionOf(page), { method: 'POST', form: { csrf: csrfOf(page), login: john.username, password: john.password } });
      assertErrorPage(posted, 400, EXPIRED);
      assert.ok(!isConsentPage(posted));
    });

    it('shows the expired page when a finished login form is posted again (back button)', async () => {
      const { browser, page } = await openLogin();
      assert.ok(isConsentPage(await browser.submit(page, '/login', { login: john.username, password: john.password })));
      const again = await browser.submit(page, '/login', { login: john.username, password: john.password });
      assertErrorPage(again, 400, EXPIRED);
    });

    it('answers a program (Accept: application/json) posting to a gone interaction with the OAuth JSON error', async () => {
      const { page } = await openLogin();
      const response = await fetch(loginActionOf(page), {
        method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf: csrfOf(page), login: 'x', password: 'y' }),
      });
      assert.equal(response.status, 400);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_request');
    });

    it('shows an HTML page for /auth with an unknown client_id or an unregistered redirect_uri (nothing to redirect to)', async () => {
      const browser = new FormBrowser(portal.redirectUri);
      const unknown = await browser.go(`${gh.issuer}/auth?${new URLSearchParams({ client_id: 'unknown', response_type: 'code', scope: 'openid', redirect_uri: portal.redirectUri })}`);
      assertErrorPage(unknown, 400, 'The application sent an invalid sign-in request');
      assert.match(unknown.html, /<code>invalid_client<\/code>/);
      const badRedirect = await browser.go(authorizationUrl({ redirect_uri: 'https://evil.example/cb' }).url);
      assertErrorPage(badRedirect, 400, 'The application sent an invalid sign-in request');
      assert.match(badRedirect.html, /<code>invalid_redirect_uri<\/code>/);
    });

    it('shows an HTML page for a logout request oidc-provider refuses', async () => {
      const refused = await new FormBrowser(portal.redirectUri).go(`${gh.issuer}/session/end?id_token_hint=not-a-jwt`);
      assertErrorPage(refused, 400, 'Something went wrong');
    });

    it('keeps token endpoint errors JSON even for a client that accepts text/html', async () => {
      const response = await fetch(`${gh.issuer}/token`, {
        method: 'POST',
        headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8', 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${portal.id}:${portal.secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: 'not-a-code', redirect_uri: portal.redirectUri }),
      });
      assert.equal(response.status, 400);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_grant');
    });
  });

  describe('consent', () => {
    it('Deny redirects to the client callback with error=access_denied and the state', async () => {
      const { browser, page, state } = await openLogin();
      const consent = await browser.submit(page, '/login', { login: john.username, password: john.password });
      assert.ok(isConsentPage(consent), consent.html);
      assert.match(consent.html, />Deny</);
      const denied = await browser.submit(consent, '/abort');
      const callback = new URL(denied.url);
      assert.equal(callback.origin + callback.pathname, portal.redirectUri);
      assert.equal(callback.searchParams.get('error'), 'access_denied');
      assert.equal(callback.searchParams.get('state'), state);
      assert.equal(callback.searchParams.get('code'), null);
    });
  });
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
