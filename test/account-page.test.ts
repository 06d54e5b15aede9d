import { strict as assert } from 'node:assert';

import { FormBrowser, type Page } from './helpers/form-login.js';
import { mode } from './helpers/harness.js';
import { codeFor, isChallengePage, recoveryCodesOn, secretOn } from './helpers/second-factor-flow.js';
import { gatehouseWithMail, linkIn } from './helpers/smtp-sink.js';
import { CODE_REFUSED } from '../src/interactions/second-factor-routes.js';
import { refresh, userTokens } from './helpers/user-tokens.js';

const NEVER = 'http://never.invalid/';
const PASSWORD = 'pass123-long-enough';

describe(`the account page /account (${mode})`, () => {
  const env = gatehouseWithMail();

  /** Opens /account in a fresh browser and signs in on Gatehouse's own login page. */
  async function signIn(username: string, password = PASSWORD): Promise<{ browser: FormBrowser; page: Page }> {
    const browser = new FormBrowser(NEVER);
    const login = await browser.go(`${env.gh.issuer}/account`);
    assert.match(login.html, /action="\/interaction\/[^"]+\/login"/, 'the account page sends the browser to the login page');
    const page = await browser.submit(login, '/login', { login: username, password });
    assert.equal(page.status, 200, page.html);
    assert.equal(page.url, `${env.gh.issuer}/account`);
    return { browser, page };
  }
  /** The id of the session the page marks as "this browser". */
  const currentSession = (page: Page) => /data-session="([^"]+)">\s*<span>Signed in [^<]*<strong>this browser/.exec(page.html)![1]!;
  const csrfOf = (page: Page) => /name="csrf" value="([^"]+)"/.exec(page.html)![1]!;
  const user = (username: string) => env.gh.gatehouse.storage.db('users').first('given_name', 'email', 'email_verified').where({ username });

  it('signs in through Gatehouse itself (a first-party OIDC client, no consent page) and shows the sections under the pages\' CSP', async () => {
    const { page } = await signIn('john');
    assert.match(page.html, /Your account · Gatehouse/);
    assert.match(page.html, /Signed in as <strong>john<\/strong>/);
    for (const id of ['profile', 'email', 'password', 'second-factors', 'sessions', 'applications']) assert.match(page.html, new RegExp(`<section id="${id}"`));
    assert.match(page.html, /this browser/);
    assert.doesNotMatch(page.html, /<script(?![^>]*\ssrc="\/static\/)|style=/, 'no inline script or style');
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.equal(page.headers.get('cache-control'), 'no-store');
    // The page's own grant is how it signed in, not an application to disconnect.
    assert.doesNotMatch(page.html, /Your Gatehouse account<\/strong>/);
    const client = await env.gh.gatehouse.storage.db('clients').first('metadata').where({ client_id: 'gatehouse-account' });
    const metadata = typeof client.metadata === 'string' ? JSON.parse(client.metadata) : client.metadata;
    assert.equal(metadata.token_endpoint_auth_method, 'client_secret_basic');
    assert.deepEqual(metadata.redirect_uris, [`${env.gh.issuer}/account/callback`]);
  });

  it('changes the password only with the current one and within the policy, optionally ending the other sessions; the new one then signs in', async () => {
    const { browser, page } = await signIn('root');
    const wrong = await browser.submit(page, '/account/password', { current: 'not-my-password', password: 'root-new-passphrase-2026', confirm: 'root-new-passphrase-2026' });
    assert.equal(wrong.status, 403);
    assert.match(wrong.html, /The current password is not correct/);
    const weak = await browser.submit(page, '/account/password', { current: PASSWORD, password: 'short', confirm: 'short' });
    assert.equal(weak.status, 400);
    assert.match(weak.html, /at least 12 characters/);
    const mismatch = await browser.submit(page, '/account/password', { current: PASSWORD, password: 'root-new-passphrase-2026', confirm: 'root-new-passphrase-2027' });
    assert.equal(mismatch.status, 400);
    const failed = await env.gh.gatehouse.storage.db('audit_log').where({ action: 'user.password_change_failed' }).count({ n: '*' }).first();
    assert.equal(Number(failed!.n), 1);

    const elsewhere = await signIn('root');
    const done = await browser.submit(page, '/account/password', { current: PASSWORD, password: 'root-new-passphrase-2026', confirm: 'root-new-passphrase-2026', endOthers: 'on' });
    assert.equal(done.status, 200);
    assert.match(done.html, /Your password was changed, and every other session and application was signed out\./);
    assert.match((await elsewhere.browser.go(`${env.gh.issuer}/account`)).html, /action="\/interaction\/[^"]+\/login"/, 'the other session ended');
    assert.equal((await browser.go(`${env.gh.issuer}/account`)).url, `${env.gh.issuer}/account`, 'this one did not');
    await signIn('root', 'root-new-passphrase-2026');
    const fresh = new FormBrowser(NEVER);
    const refused = await fresh.submit(await fresh.go(`${env.gh.issuer}/account`), '/login', { login: 'root', password: PASSWORD });
    assert.equal(refused.status, 401);
  });

  it('signs out another session, then every other session and application; this one stays', async () => {
    const a = await signIn('lena');
    const b = await signIn('lena');
    const tokens = await userTokens(env.gh.issuer, { user: { username: 'lena', password: PASSWORD } });
    assert.ok(tokens.refresh_token);

    let page = await a.browser.go(`${env.gh.issuer}/account`);
    const sessionIds = [...page.html.matchAll(/data-session="([^"]+)"/g)].map((m) => m[1]!);
    assert.equal(sessionIds.length, 3, 'two account sign-ins and the portal\'s');
    const bSession = currentSession(await b.browser.go(`${env.gh.issuer}/account`));
    assert.notEqual(bSession, currentSession(page));
    page = await a.browser.submit(page, `/account/sessions/${bSession}/end`);
    assert.match(page.html, /The session was signed out\./);
    const bAgain = await b.browser.go(`${env.gh.issuer}/account`);
    assert.match(bAgain.html, /action="\/interaction\/[^"]+\/login"/, 'the ended session has to sign in again');

    page = await a.browser.submit(page, '/account/sessions/others/end');
    assert.match(page.html, /Every other session and application was signed out\./);
    assert.equal([...page.html.matchAll(/data-session="/g)].length, 1);
    assert.equal((await refresh(env.gh.issuer, tokens.refresh_token!)).status, 400, 'the portal\'s refresh token is dead');
    assert.equal((await a.browser.go(`${env.gh.issuer}/account`)).url, `${env.gh.issuer}/account`, 'still signed in here');
  });

  it('lists connected applications and disconnects one: its refresh token stops working', async () => {
    const tokens = await userTokens(env.gh.issuer, { user: { username: 'otto', password: PASSWORD } });
    const { browser, page } = await signIn('otto');
    assert.match(page.html, /<strong>Portal[^<]*<\/strong>|<strong>portal<\/strong>/i);
    const grant = /data-grant="([^"]+)"/.exec(page.html)![1]!;
    assert.equal((await refresh(env.gh.issuer, tokens.refresh_token!)).status, 200);
    const done = await browser.submit(page, `/account/applications/${grant}/revoke`);
    assert.match(done.html, /The application was disconnected/);
    assert.doesNotMatch(done.html, /data-grant=/);
    const after = await refresh(env.gh.issuer, tokens.refresh_token!);
    assert.equal(after.status, 400);
    const audited = await env.gh.gatehouse.storage.db('audit_log').where({ action: 'grant.revoked' }).whereLike('target', `%/grant:${grant}`).first();
    assert.ok(audited);
  });

  it('changes the address only when the link mailed to the new address is opened; then it is verified', async () => {
    const { browser, page } = await signIn('sam');
    const sent = await browser.submit(page, '/account/email', { email: 'sam.new@test.com' });
    assert.match(sent.html, /We sent a link to the new address/);
    assert.equal((await user('sam')).email, 'sam@test.com', 'unchanged until the link is opened');
    const link = linkIn(await env.smtp.next('sam.new@test.com'));
    const confirm = await browser.go(link.href);
    const done = await browser.submit(confirm, '/email/verify');
    assert.equal(done.status, 200, done.html);
    const changed = await user('sam');
    assert.equal(changed.email, 'sam.new@test.com');
    assert.equal(changed.email_verified, true);
    const shown = await browser.go(`${env.gh.issuer}/account`);
    assert.match(shown.html, /<strong id="current-email">sam\.new@test\.com<\/strong> — <span id="email-status">confirmed/);
  });

  it('saves the name, and refuses forms without the session\'s CSRF token or from another origin (403, nothing changes)', async () => {
    const { browser, page } = await signIn('john');
    const forged = await browser.go(`${env.gh.issuer}/account/profile`, { method: 'POST', form: { csrf: 'forged', givenName: 'Mallory' } });
    assert.equal(forged.status, 403);
    const crossSite = await browser.go(`${env.gh.issuer}/account/profile`, { method: 'POST', form: { csrf: csrfOf(page), givenName: 'Mallory' }, origin: 'https://evil.example' });
    assert.equal(crossSite.status, 403);
    const stranger = await new FormBrowser(NEVER).go(`${env.gh.issuer}/account/profile`, { method: 'POST', form: { csrf: csrfOf(page), givenName: 'Mallory' } });
    assert.equal(stranger.status, 400, 'no account session: the expired page');
    assert.notEqual((await user('john')).given_name, 'Mallory');

    const saved = await browser.submit(page, '/account/profile', { givenName: 'Johnny <b>', familyName: 'Doe' });
    assert.match(saved.html, /Your name was saved\./);
    assert.match(saved.html, /value="Johnny &lt;b&gt;"/, 'escaped');
    assert.equal((await user('john')).given_name, 'Johnny <b>');
  });

  it('signs this browser out of Gatehouse: the next visit asks for the password again', async () => {
    const { browser, page } = await signIn('john');
    const out = await browser.submit(page, '/account/sign-out');
    assert.match(out.html, /You are signed out of Gatehouse in this browser\./);
    const again = await browser.go(`${env.gh.issuer}/account`);
    assert.match(again.html, /action="\/interaction\/[^"]+\/login"/);
  });

  describe('second factors', () => {
    const audited = async (action: string, username: string) => {
      const [{ id }] = await env.gh.gatehouse.storage.db('users').select('id').where({ username });
      return env.gh.gatehouse.storage.db('audit_log').where({ action, target: `user:${id}` }).select('details');
    };
    const factorIds = (page: Page) => [...page.html.matchAll(/data-factor="([^"]+)"/g)].map((m) => m[1]!);

    /** Adds an authenticator app from the account page: its key and the recovery codes shown once. */
    async function enrolApp(browser: FormBrowser, name?: string): Promise<{ secret: string; codes: string[]; page: Page }> {
      const setup = await browser.go(`${env.gh.issuer}/account/second-factors/totp`);
      assert.equal(setup.status, 200, setup.html);
      assert.match(setup.html, /<img class="qr" src="data:image\/png;base64,/);
      const secret = secretOn(setup);
      const page = await browser.submit(setup, '/account/second-factors/totp', { code: codeFor(secret), ...(name ? { name } : {}) });
      return { secret, codes: recoveryCodesOn(page), page };
    }

    /** A new browser signs in to /account with the password, then `code` (an app code or a recovery code). */
    async function signInWithCode(username: string, code: string): Promise<Page> {
      const browser = new FormBrowser(NEVER);
      const challenge = await browser.submit(await browser.go(`${env.gh.issuer}/account`), '/login', { login: username, password: PASSWORD });
      assert.ok(isChallengePage(challenge), 'a person with a factor is asked for it');
      return browser.submit(challenge, '/mfa', { code });
    }

    before(async () => {
      for (const username of ['fay', 'gus']) await env.gh.gatehouse.services.users.create({ actor: 'test' }, { username, password: PASSWORD }, { mayGrantAdmin: true });
    });

    it('enrols an authenticator app from /account (QR code, a wrong code refused, recovery codes shown once); the next sign-in asks for a code', async () => {
      const { browser, page } = await signIn('fay');
      assert.match(page.html, /No second factor yet/);
      const setup = await browser.go(`${env.gh.issuer}/account/second-factors/totp`);
      const secret = secretOn(setup);
      const wrong = await browser.submit(setup, '/account/second-factors/totp', { code: codeFor(secret, 10) });
      assert.equal(wrong.status, 401);
      assert.ok(wrong.html.includes(CODE_REFUSED.replace(/'/g, '&#39;')), wrong.html);
      assert.equal(secretOn(wrong), secret, 'the same key while the enrolment is pending');

      const { codes, page: shown } = await enrolApp(browser, 'My <phone>');
      assert.equal(shown.url, `${env.gh.issuer}/account/second-factors/recovery-codes`);
      assert.equal(codes.length, 10);
      const again = await browser.go(shown.url);
      assert.equal(again.url, `${env.gh.issuer}/account`, 'shown once');
      assert.deepEqual(recoveryCodesOn(again), []);
      assert.match(again.html, /<strong>My &lt;phone&gt;<\/strong> — Authenticator app/);
      assert.match(again.html, /Recovery codes left: <strong>10<\/strong>/);
      assert.equal((await audited('factor.enrolled', 'fay')).length, 1);

      const next = await signInWithCode('fay', codeFor(secret, 1));
      assert.equal(next.url, `${env.gh.issuer}/account`, next.html);
    });

    it('renames and removes a factor (asking first), and regenerates the recovery codes: the old ones stop working', async () => {
      const { browser } = await signIn('gus');
      const { codes: old } = await enrolApp(browser);
      let page = await browser.go(`${env.gh.issuer}/account`);
      const [id] = factorIds(page);

      page = await browser.submit(page, `/account/second-factors/${id}/rename`, { name: 'Work phone' });
      assert.match(page.html, /The factor was renamed\./);
      assert.match(page.html, /<strong>Work phone<\/strong>/);
      assert.equal((await audited('factor.renamed', 'gus')).length, 1);

      const fresh = await browser.submit(page, '/account/second-factors/recovery-codes');
      const codes = recoveryCodesOn(fresh);
      assert.equal(codes.length, 10);
      assert.equal(codes.filter((c) => old.includes(c)).length, 0);
      assert.equal((await audited('recovery_codes.regenerated', 'gus')).length, 1);
      const refused = await signInWithCode('gus', old[0]!);
      assert.equal(refused.status, 401, 'an old code stops working');
      const used = await signInWithCode('gus', codes[0]!);
      assert.equal(used.url, `${env.gh.issuer}/account`);
      assert.match(used.html, /Recovery codes left: <strong>9<\/strong>/);

      // Forms of the section follow the page's rules: CSRF token, Origin, schema, the person's own factors only.
      const forged = await browser.go(`${env.gh.issuer}/account/second-factors/${id}/remove`, { method: 'POST', form: { csrf: 'forged' } });
      assert.equal(forged.status, 403);
      const crossSite = await browser.go(`${env.gh.issuer}/account/second-factors/${id}/remove`, { method: 'POST', form: { csrf: csrfOf(page) }, origin: 'https://evil.example' });
      assert.equal(crossSite.status, 403);
      assert.equal((await browser.go(`${env.gh.issuer}/account/second-factors/not-a-uuid/remove`, { method: 'POST', form: { csrf: csrfOf(page) } })).status, 400);
      const other = await signIn('john');
      assert.equal((await other.browser.go(`${env.gh.issuer}/account/second-factors/${id}/remove`, { method: 'POST', form: { csrf: csrfOf(other.page) } })).status, 400, 'not their factor');
      assert.equal((await other.browser.go(`${env.gh.issuer}/account/second-factors/recovery-codes`, { method: 'POST', form: { csrf: csrfOf(other.page) } })).status, 400, 'no factor, no codes');

      const confirm = await browser.go(`${env.gh.issuer}/account/second-factors/${id}/remove`);
      assert.match(confirm.html, /Remove <strong>Work phone<\/strong>\?/);
      assert.match(confirm.html, /your last second factor/);
      page = await browser.submit(confirm, `/account/second-factors/${id}/remove`);
      assert.match(page.html, /The factor was removed\./);
      assert.deepEqual(factorIds(page), []);
      assert.equal((await audited('factor.removed', 'gus')).length, 1);
      const passwordOnly = await signIn('gus');
      assert.equal(passwordOnly.page.url, `${env.gh.issuer}/account`);
    });
  });
});
