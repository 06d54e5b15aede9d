import { strict as assert } from 'node:assert';

import { FormBrowser, loginAndConsent, type Page } from './helpers/form-login.js';
import { mode, portal, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { linkIn, startSmtpSink } from './helpers/smtp-sink.js';

const NEVER = 'http://never.invalid/';

/** The portal's authorization request (the code is not exchanged: reaching the callback proves the login). */
function authorizationUrl(issuer: string): string {
  const url = new URL(`${issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: portal.id, response_type: 'code', redirect_uri: portal.redirectUri, scope: 'openid',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
  }).toString();
  return url.href;
}

/** Whether `password` signs `username` in at the portal. */
async function signsIn(issuer: string, username: string, password: string): Promise<boolean> {
  return loginAndConsent(authorizationUrl(issuer), portal.redirectUri, { username, password }).then(() => true, () => false);
}

describe(`password reset and address verification by mail (${mode}, real SMTP server)`, () => {
  let gh: TestGatehouse;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;

  before(async function () {
    // A file run alone also makes the embedded database template first (seconds, more on a busy machine).
    this.timeout(120_000);
    smtp = await startSmtpSink();
    gh = await startTestGatehouse({ SMTP_URL: smtp.url, GATEHOUSE_SELF_REGISTRATION: 'true', GATEHOUSE_MAIL_MAX_PER_ADDRESS: '3', GATEHOUSE_MAIL_MAX_PER_IP: '1000' });
  });
  after(async () => {
    await gh?.stop();
    await smtp?.close();
  });

  const email = () => gh.gatehouse.services.email!;
  const auditActions = async (action: string) => (await gh.gatehouse.storage.db('audit_log').where({ action }).select('details', 'target')) as Array<{ details: Record<string, unknown>; target: string | null }>;

  /** Asks for a reset link on the real page (reading its CSRF token), returning the answer. */
  async function askForReset(address: string, browser = new FormBrowser(NEVER)): Promise<Page> {
    const form = await browser.go(`${gh.issuer}/password-reset`);
    return browser.submit(form, '/password-reset', { email: address });
  }

  it('answers the same page for a known and an unknown address, mails only the known one, and takes as long for both', async () => {
    const known = await askForReset('john@test.com');
    const unknown = await askForReset('nobody-here@test.com');
    assert.equal(known.status, 200);
    assert.equal(unknown.status, known.status);
    assert.equal(unknown.html, known.html, 'the very same page');
    assert.match(known.html, /If an account has this address, we sent it a link/);
    assert.ok(await smtp.next('john@test.com'));
    await email().drain();
    assert.equal(smtp.mails.filter((m) => m.to.includes('nobody-here@test.com')).length, 0, 'nothing sent to an unknown address');
    const requested = await auditActions('password_reset.requested');
    assert.ok(requested.some((r) => r.details.email === 'nobody-here@test.com' && r.details.sent === false && r.details.reason === 'unknown_address'));

    // Timing: the lookup and the mail happen after the answer, so both paths do the same work before it.
    const timed = async (address: string) => {
      const browser = new FormBrowser(NEVER);
      const form = await browser.go(`${gh.issuer}/password-reset`);
      const started = performance.now();
      await browser.submit(form, '/password-reset', { email: address });
      return performance.now() - started;
    };
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const knownTimes: number[] = [];
    const unknownTimes: number[] = [];
    for (const [i, user] of ['mary', 'sam', 'root', 'lena', 'otto'].entries()) {
      knownTimes.push(await timed(`${user}@test.com`));
      unknownTimes.push(await timed(`unknown-${i}@test.com`));
    }
    const [k, u] = [median(knownTimes), median(unknownTimes)];
    // Generous for a loaded machine; an account lookup plus a mail before the answer would be well beyond it.
    assert.ok(Math.abs(k - u) < Math.max(40, 0.5 * Math.max(k, u)), `median answer for known ${k.toFixed(1)} ms vs unknown ${u.toFixed(1)} ms`);
    // Taken here, so later tests read their own mails.
    for (const user of ['mary', 'sam', 'root', 'lena', 'otto']) await smtp.next(`${user}@test.com`);
  });

  it('resets the password through the mailed link once: the old password stops working, the new one works, the link is spent', async () => {
    await askForReset('sue@test.com');
    const mail = await smtp.next('sue@test.com');
    assert.equal(mail.subject, 'Reset your Gatehouse password');
    const link = linkIn(mail);
    assert.equal(link.origin + link.pathname, `${gh.issuer}/password-reset/new`);
    const stored = await gh.gatehouse.storage.db('email_tokens').where({ purpose: 'password_reset' }).select('token_hash');
    assert.ok(stored.every((r: { token_hash: string }) => r.token_hash !== link.searchParams.get('token')), 'only the hash is stored');

    const browser = new FormBrowser(NEVER);
    const form = await browser.go(link.href);
    assert.equal(form.status, 200);
    assert.match(form.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    // A password the policy refuses leaves the link usable.
    const weak = await browser.submit(form, '/password-reset/new', { password: 'short', confirm: 'short' });
    assert.equal(weak.status, 400);
    assert.match(weak.html, /at least 12 characters/);
    const done = await browser.submit(weak, '/password-reset/new', { password: 'sue-new-passphrase-2026', confirm: 'sue-new-passphrase-2026' });
    assert.equal(done.status, 200, done.html);
    assert.match(done.html, /Your password was changed/);

    assert.equal(await signsIn(gh.issuer, 'sue', 'sue-new-passphrase-2026'), true);
    assert.equal(await signsIn(gh.issuer, 'sue', 'pass123-long-enough'), false);
    const user = await gh.gatehouse.storage.db('users').first('email_verified').where({ username: 'sue' });
    assert.equal(user.email_verified, true, 'a completed reset proves the address');
    assert.ok((await auditActions('password_reset.completed')).length >= 1);

    // Used once: opening or posting the same link again is refused, and the password stays.
    const again = await new FormBrowser(NEVER).go(link.href);
    assert.equal(again.status, 400);
    assert.match(again.html, /This link cannot be used/);
    const replay = await browser.submit(form, '/password-reset/new', { password: 'another-passphrase-2026', confirm: 'another-passphrase-2026' });
    assert.equal(replay.status, 400);
    assert.equal(await signsIn(gh.issuer, 'sue', 'another-passphrase-2026'), false);
  });

  it('refuses an expired link, a truncated one and one that was replaced by a newer link, each audited', async () => {
    await askForReset('otto@test.com');
    const first = linkIn(await smtp.next('otto@test.com'));
    await askForReset('otto@test.com');
    const second = linkIn(await smtp.next('otto@test.com'));
    assert.equal((await new FormBrowser(NEVER).go(first.href)).status, 400, 'a newer link replaces the older one');

    const truncated = new URL(second.href);
    truncated.searchParams.set('token', second.searchParams.get('token')!.slice(0, 20));
    assert.equal((await new FormBrowser(NEVER).go(truncated.href)).status, 400);

    const browser = new FormBrowser(NEVER);
    const form = await browser.go(second.href);
    assert.equal(form.status, 200);
    // The link's time runs out while the form is open.
    await gh.gatehouse.storage.db('email_tokens').where({ purpose: 'password_reset' }).update({ expires_at: new Date(Date.now() - 1000) });
    const late = await browser.submit(form, '/password-reset/new', { password: 'otto-new-passphrase-2026', confirm: 'otto-new-passphrase-2026' });
    assert.equal(late.status, 400);
    assert.match(late.html, /invalid, has expired or was already used/);
    assert.equal((await new FormBrowser(NEVER).go(second.href)).status, 400);
    assert.equal(await signsIn(gh.issuer, 'otto', 'otto-new-passphrase-2026'), false);

    const forged = await browser.submit(form, '/password-reset/new', { token: 'x'.repeat(20), password: 'otto-new-passphrase-2026', confirm: 'otto-new-passphrase-2026' });
    assert.equal(forged.status, 400);
    const reasons = (await auditActions('password_reset.refused')).map((r) => r.details.reason);
    assert.ok(reasons.includes('unknown_used_or_expired') && reasons.includes('malformed'), JSON.stringify(reasons));
  });

  it('limits mails per address: past the budget the page answers 429 with Retry-After, for an unknown address too', async () => {
    const statuses: number[] = [];
    let last: Page | undefined;
    for (let i = 0; i < 4; i += 1) {
      last = await askForReset('flood-target@test.com');
      statuses.push(last.status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    assert.equal(last!.headers.get('retry-after'), '3600');
  });

  it('refuses a reset request without the form\'s CSRF token or from another origin (403), and sends nothing', async () => {
    const browser = new FormBrowser(NEVER);
    await browser.go(`${gh.issuer}/password-reset`);
    const forged = await browser.go(`${gh.issuer}/password-reset`, { method: 'POST', form: { csrf: 'forged', email: 'mary@test.com' } });
    assert.equal(forged.status, 403);
    const page = await browser.go(`${gh.issuer}/password-reset`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.html)![1]!;
    const crossSite = await browser.go(`${gh.issuer}/password-reset`, { method: 'POST', form: { csrf, email: 'mary@test.com' }, origin: 'https://evil.example' });
    assert.equal(crossSite.status, 403);
    // Without the cookie the token belongs to, the same token is refused.
    const otherBrowser = await new FormBrowser(NEVER).go(`${gh.issuer}/password-reset`, { method: 'POST', form: { csrf, email: 'mary@test.com' } });
    assert.equal(otherBrowser.status, 403);
    await email().drain();
    assert.equal(smtp.mails.filter((m) => m.to.includes('mary@test.com')).length, 1, 'only the first test\'s mail');
  });

  it('refuses malformed input on the pages with a 400 page before anything is looked up: a NUL, a repeated or unknown field', async () => {
    const browser = new FormBrowser(NEVER);
    const form = await browser.go(`${gh.issuer}/password-reset`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(form.html)![1]!;
    const nul = await browser.go(`${gh.issuer}/password-reset`, { method: 'POST', form: { csrf, email: 'john\u0000@test.com' } });
    assert.equal(nul.status, 400);
    assert.match(nul.html, /<title>[^<]+ · Gatehouse<\/title>/, 'the HTML error page');
    const unknownField = await browser.go(`${gh.issuer}/password-reset`, { method: 'POST', form: { csrf, email: 'john@test.com', admin: 'yes' } });
    assert.equal(unknownField.status, 400);
    assert.equal((await browser.go(`${gh.issuer}/password-reset/new?token=a&token=b`)).status, 400);
    assert.equal((await browser.go(`${gh.issuer}/email/verify?token=${'%00'.repeat(3)}`)).status, 400);
  });

  it('refuses a reset link once the account\'s address has moved, and a verification link used as a reset link; audited, nothing changed', async () => {
    // A link mailed to lena's address; then an admin gives her account another address.
    const { id: lenaId } = await gh.gatehouse.services.users.create({ actor: 'test' }, { username: 'lena-m', email: 'lena-m@test.com', password: 'pass123-long-enough' }, { mayGrantAdmin: true });
    await askForReset('lena-m@test.com');
    const link = linkIn(await smtp.next('lena-m@test.com'));
    await gh.gatehouse.services.users.update({ actor: 'test' }, lenaId, { email: 'lena.moved@test.com' }, { mayGrantAdmin: true });
    const browser = new FormBrowser(NEVER);
    const form = await browser.go(link.href);
    const refused = await browser.submit(form, '/password-reset/new', { password: 'lena-new-passphrase-2026', confirm: 'lena-new-passphrase-2026' });
    assert.equal(refused.status, 400);
    assert.match(refused.html, /This link cannot be used|invalid, has expired or was already used/);
    assert.ok((await auditActions('password_reset.refused')).some((r) => r.details.reason === 'account_changed' && r.target === `user:${lenaId}`));
    assert.equal(await signsIn(gh.issuer, 'lena-m', 'lena-new-passphrase-2026'), false);
    assert.equal(await signsIn(gh.issuer, 'lena-m', 'pass123-long-enough'), true, 'the password stays');

    // A verification link carries a token of another purpose: the reset page refuses it, and it stays usable for what it is.
    const registered = await fetch(`${gh.issuer}/api/v1/registrations`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'drew', email: 'drew@test.com', password: 'drew-passphrase-2026' }),
    });
    assert.equal(registered.status, 202);
    const verification = linkIn(await smtp.next('drew@test.com'));
    const asReset = new URL(`${gh.issuer}/password-reset/new`);
    asReset.searchParams.set('token', verification.searchParams.get('token')!);
    const other = new FormBrowser(NEVER);
    assert.equal((await other.go(asReset.href)).status, 400);
    const posted = await browser.submit(form, '/password-reset/new', { token: verification.searchParams.get('token')!, password: 'drew-other-passphrase-2026', confirm: 'drew-other-passphrase-2026' });
    assert.equal(posted.status, 400);
    assert.equal(await signsIn(gh.issuer, 'drew', 'drew-other-passphrase-2026'), false);
    assert.equal((await new FormBrowser(NEVER).go(verification.href)).status, 200, 'the verification link still works');
  });

  it('verifies the address of a self-registered account through the mailed link (email_verified becomes true)', async () => {
    const response = await fetch(`${gh.issuer}/api/v1/registrations`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'newcomer', email: 'newcomer@test.com', password: 'newcomer-passphrase-2026' }),
    });
    assert.equal(response.status, 202);
    const mail = await smtp.next('newcomer@test.com');
    assert.equal(mail.subject, 'Confirm your email address for Gatehouse');
    const link = linkIn(mail);
    const before = await gh.gatehouse.storage.db('users').first('email_verified').where({ username: 'newcomer' });
    assert.equal(before.email_verified, false);

    const browser = new FormBrowser(NEVER);
    const page = await browser.go(link.href);
    assert.equal(page.status, 200);
    const unchanged = await gh.gatehouse.storage.db('users').first('email_verified').where({ username: 'newcomer' });
    assert.equal(unchanged.email_verified, false, 'opening the link (as a mail scanner would) changes nothing');
    const done = await browser.submit(page, '/email/verify');
    assert.equal(done.status, 200, done.html);
    assert.match(done.html, /newcomer@test\.com(<\/strong>)? is now the confirmed address/);
    const after = await gh.gatehouse.storage.db('users').first('email_verified').where({ username: 'newcomer' });
    assert.equal(after.email_verified, true);
    assert.equal((await browser.submit(page, '/email/verify')).status, 400, 'once');
    assert.ok((await auditActions('email.verified')).some((r) => r.target?.startsWith('user:')));
  });
});

describe(`without SMTP_URL the mail flows are hidden (${mode})`, () => {
  let gh: TestGatehouse;
  before(async () => {
    gh = await startTestGatehouse();
  });
  after(async () => gh?.stop());

  it('offers no "forgot password" link, and the reset and verification pages do not exist', async () => {
    const login = await new FormBrowser(NEVER).go(authorizationUrl(gh.issuer));
    assert.match(login.html, /action="\/interaction\/[^"]+\/login"/);
    assert.doesNotMatch(login.html, /password-reset|Forgot/);
    for (const path of ['/password-reset', '/password-reset/new?token=x', '/email/verify?token=x']) {
      assert.equal((await fetch(`${gh.issuer}${path}`, { headers: { accept: 'text/html' } })).status, 404, path);
    }
    assert.equal(gh.gatehouse.services.email, undefined);
  });
});
