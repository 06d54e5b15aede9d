import { strict as assert } from 'node:assert';

import { ACR_MULTI_FACTOR } from '../src/domain/factors/authentication-methods.js';
import { FormBrowser } from './helpers/form-login.js';
import { mode } from './helpers/harness.js';
import { api, opsService, serviceToken } from './helpers/management-api.js';
import { codeFor, isChallengePage, isEnrolmentPage, recoveryCodesOn, secretOn, SignIn } from './helpers/second-factor-flow.js';
import { gatehouseWithMail, linkIn } from './helpers/smtp-sink.js';

const NEVER = 'http://never.invalid/';
const PASSWORD = 'pass123-long-enough';

interface Entry { action: string; actor: string; target?: string; details: Record<string, unknown> }

describe(`the audit log holds every security event of a person (${mode}, real SMTP server)`, () => {
  const env = gatehouseWithMail();

  it('lists, through the management API, factor enrolled, failed, removed and reset by an admin, recovery code used, step-up, password reset requested and completed, and email verified', async () => {
    const nina = await env.gh.gatehouse.services.users.create({ actor: 'test' }, { username: 'nina', email: 'nina@test.com', password: PASSWORD }, { mayGrantAdmin: true });
    const ops = await serviceToken(env.gh.issuer, opsService);

    // Step-up: a one-factor session asked for two enrols an app without the password again.
    const portal = new SignIn(env.gh.issuer);
    const first = await portal.start();
    await portal.finish(await portal.password(first.page, { username: 'nina', password: PASSWORD }), first.verifier);
    const stepUp = await portal.start({ acr_values: ACR_MULTI_FACTOR });
    assert.ok(isEnrolmentPage(stepUp.page), stepUp.page.html);
    const secret = secretOn(stepUp.page);
    const enrolled = await portal.browser.submit(stepUp.page, '/mfa/enrol', { code: codeFor(secret) });
    const [recoveryCode] = recoveryCodesOn(enrolled);
    await portal.finish(await portal.browser.submit(enrolled, '/mfa/continue'), stepUp.verifier);

    // A wrong code, then a recovery code.
    const later = new SignIn(env.gh.issuer);
    const started = await later.start();
    const challenge = await later.password(started.page, { username: 'nina', password: PASSWORD });
    assert.ok(isChallengePage(challenge));
    const wrong = await later.browser.submit(challenge, '/mfa', { code: codeFor(secret, 20) });
    assert.equal(wrong.status, 401);
    await later.finish(await later.browser.submit(wrong, '/mfa', { code: recoveryCode! }), started.verifier);

    // An admin resets the factors; the person then adds an app on /account and removes it.
    assert.equal((await api(env.gh.issuer, ops, 'DELETE', `/users/${nina.id}/factors`)).status, 200);
    const browser = new FormBrowser(NEVER);
    let page = await browser.submit(await browser.go(`${env.gh.issuer}/account`), '/login', { login: 'nina', password: PASSWORD });
    assert.equal(page.url, `${env.gh.issuer}/account`, 'no factor left: the password alone signs in');
    const setup = await browser.go(`${env.gh.issuer}/account/second-factors/totp`);
    await browser.submit(setup, '/account/second-factors/totp', { code: codeFor(secretOn(setup)) });
    page = await browser.go(`${env.gh.issuer}/account`);
    const factorId = /data-factor="([^"]+)"/.exec(page.html)![1]!;
    const confirm = await browser.go(`${env.gh.issuer}/account/second-factors/${factorId}/remove`);
    assert.equal((await browser.submit(confirm, `/account/second-factors/${factorId}/remove`)).url, `${env.gh.issuer}/account?done=removed`);

    // A new address, verified by its link; a password reset by mail.
    await browser.submit(page, '/account/email', { email: 'nina.new@test.com' });
    const verify = await browser.go(linkIn(await env.smtp.next('nina.new@test.com')).href);
    assert.equal((await browser.submit(verify, '/email/verify')).status, 200);
    const reset = new FormBrowser(NEVER);
    await reset.submit(await reset.go(`${env.gh.issuer}/password-reset`), '/password-reset', { email: 'nina.new@test.com' });
    const form = await reset.go(linkIn(await env.smtp.next('nina.new@test.com')).href);
    const changed = await reset.submit(form, '/password-reset/new', { password: 'nina-new-passphrase-2026', confirm: 'nina-new-passphrase-2026' });
    assert.equal(changed.status, 200, changed.html);

    const listed = await api(env.gh.issuer, ops, 'GET', `/audit?target=user:${nina.id}&limit=100`);
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    const entries = (listed.body as { items: Entry[] }).items;
    const find = (action: string, check: (e: Entry) => boolean = () => true) => {
      const found = entries.find((e) => e.action === action && check(e));
      assert.ok(found, `${action} in ${JSON.stringify(entries.map((e) => e.action))}`);
      return found;
    };
    find('factor.enrolled', (e) => e.details.kind === 'totp' && e.actor === `user:${nina.id}`);
    find('login.step_up', (e) => JSON.stringify(e.details.amr) === JSON.stringify(['pwd', 'otp', 'mfa']));
    find('factor.failed', (e) => e.details.reason === 'wrong_code' && e.details.kind === 'totp');
    find('recovery_code.used', (e) => e.details.left === 9);
    find('factor.reset', (e) => e.actor === `client:${opsService.id}` && e.details.removed === 1);
    find('factor.removed', (e) => e.details.factor_id === factorId);
    find('email.verified');
    find('password_reset.requested', (e) => e.details.sent !== false);
    find('password_reset.completed');
    assert.equal(entries.filter((e) => e.action === 'factor.enrolled').length, 2, 'the app at the step-up and the one on /account');
    assert.doesNotMatch(JSON.stringify(entries), new RegExp(`${secret}|${recoveryCode}|nina-new-passphrase`), 'no secret, code or password in the log');
  });
});
