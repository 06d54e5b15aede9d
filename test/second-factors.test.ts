import { strict as assert } from 'node:assert';

import { decodeJwt } from 'jose';

import { ACR_MULTI_FACTOR, ACR_SINGLE_FACTOR } from '../src/domain/factors/authentication-methods.js';
import { CODE_MALFORMED, CODE_REFUSED, PASSKEY_REFUSED } from '../src/interactions/second-factor-routes.js';
import { LOGIN_FAILED } from '../src/interactions/interaction-routes.js';
import { CMS, createSandbox, john, mode, runCli, startTestGatehouse, type Sandbox, type TestGatehouse } from './helpers/harness.js';
import { api, API_SCOPES, lena, personToken, root } from './helpers/management-api.js';
import type { Page } from './helpers/form-login.js';
import { codeFor, isChallengePage, isEnrolmentPage, isPasswordPage, recoveryCodesOn, secretOn, SignIn } from './helpers/second-factor-flow.js';
import { SoftwareAuthenticator, type Forgery } from './helpers/software-authenticator.js';
import { introspect } from './helpers/user-tokens.js';

const PASSWORD = 'pass123-long-enough';
const escaped = (text: string) => text.replace(/'/g, '&#39;');

describe(`second factors over HTTP: TOTP, recovery codes, lockout, policy, amr/acr, admin reset (${mode})`, () => {
  let gh: TestGatehouse;
  let sandbox: Sandbox;
  const ids: Record<string, string> = {};

  before(async () => {
    sandbox = await createSandbox();
    gh = await startTestGatehouse({ GATEHOUSE_MFA_LABS: 'lab-2', GATEHOUSE_MFA_RESOURCES: CMS, GATEHOUSE_LOGIN_MAX_FAILURES: '3' }, sandbox);
    for (const username of ['tina', 'lou', 'rita', 'vera']) {
      const user = await gh.gatehouse.services.users.create({ actor: 'test' }, { username, password: PASSWORD, labs: [{ labId: 'lab-1', role: 'member' }] }, { mayGrantAdmin: true });
      ids[username] = user.id;
    }
    for (const { id, username } of await gh.gatehouse.storage.db('users').select('id', 'username') as Array<{ id: string; username: string }>) ids[username] ??= id;
  });
  after(async () => {
    await gh?.stop();
    await sandbox?.dispose();
  });

  const audit = async (action: string, userId: string) => gh.gatehouse.storage.db('audit_log').select('details').where({ action, target: `user:${userId}` }).orderBy('id') as Promise<Array<{ details: Record<string, unknown> }>>;

  /** Enrols TOTP for `username` through the sign-in pages (acr_values asks for two factors); returns the key, the recovery codes and the tokens. */
  async function enrolTotp(username: string, params: Record<string, string> = { acr_values: ACR_MULTI_FACTOR }) {
    const signIn = new SignIn(gh.issuer);
    const { page, verifier } = await signIn.start(params);
    const enrol = await signIn.password(page, { username, password: PASSWORD });
    assert.ok(isEnrolmentPage(enrol), `the enrolment page, got:\n${enrol.html}`);
    assert.match(enrol.html, /<img class="qr" src="data:image\/png;base64,/);
    const secret = secretOn(enrol);
    const wrong = await signIn.browser.submit(enrol, '/mfa/enrol', { code: '000000' === codeFor(secret) ? '111111' : '000000' });
    assert.equal(wrong.status, 401);
    const done = await signIn.browser.submit(wrong, '/mfa/enrol', { code: codeFor(secret) });
    const recoveryCodes = recoveryCodesOn(done);
    assert.equal(recoveryCodes.length, 10);
    // Shown once: reloading the page no longer lists them.
    const again = await signIn.browser.go(done.url);
    assert.deepEqual(recoveryCodesOn(again), []);
    const tokens = await signIn.finish(await signIn.browser.submit(again, '/mfa/continue'), verifier);
    return { secret, recoveryCodes, tokens, signIn };
  }

  it('password only: amr pwd and the single-factor acr in the ID token, the access token and introspection', async () => {
    const signIn = new SignIn(gh.issuer);
    const { page, verifier } = await signIn.start({ scope: 'openid' });
    const tokens = await signIn.finish(await signIn.password(page, john), verifier);
    const idToken = decodeJwt(tokens.id_token);
    assert.deepEqual([idToken.amr, idToken.acr], [['pwd'], ACR_SINGLE_FACTOR]);
    const opaque = await introspect(gh.issuer, tokens.access_token);
    assert.deepEqual([opaque.amr, opaque.acr], [['pwd'], ACR_SINGLE_FACTOR]);
  });

  it('acr_values asks for two factors: a person without one enrols TOTP (QR, key, recovery codes once) and the tokens say mfa', async () => {
    const { tokens } = await enrolTotp('tina');
    const idToken = decodeJwt(tokens.id_token);
    assert.deepEqual(idToken.amr, ['pwd', 'otp', 'mfa']);
    assert.equal(idToken.acr, ACR_MULTI_FACTOR);
    assert.equal((await audit('factor.enrolled', ids.tina!)).length, 1);
    const [row] = await gh.gatehouse.storage.db('user_factors').select('totp_secret').where({ user_id: ids.tina });
    assert.match(row.totp_secret, /^v1\./, 'the secret is stored sealed');
    const hashes = await gh.gatehouse.storage.db('recovery_codes').select('code_hash').where({ user_id: ids.tina });
    assert.equal(hashes.length, 10);
  });

  it('a TOTP code is refused the second time (replay), and a recovery code works once', async () => {
    const { secret, recoveryCodes } = await enrolTotp('rita');
    // Once a factor exists it is always asked for, whatever the request.
    const first = new SignIn(gh.issuer);
    let { page, verifier } = await first.start();
    let challenge = await first.password(page, { username: 'rita', password: PASSWORD });
    assert.ok(isChallengePage(challenge));
    const code = codeFor(secret, 1);
    await first.finish(await first.browser.submit(challenge, '/mfa', { code }), verifier);

    const second = new SignIn(gh.issuer);
    ({ page, verifier } = await second.start());
    challenge = await second.password(page, { username: 'rita', password: PASSWORD });
    const replayed = await second.browser.submit(challenge, '/mfa', { code });
    assert.equal(replayed.status, 401);
    assert.ok(replayed.html.includes(escaped(CODE_REFUSED)));
    const malformed = await second.browser.submit(replayed, '/mfa', { code: '12ab' });
    assert.ok(malformed.html.includes(escaped(CODE_MALFORMED)));
    assert.deepEqual((await audit('factor.failed', ids.rita!)).map((r) => r.details.reason), ['replayed', 'malformed']);

    const recovered = await second.finish(await second.browser.submit(malformed, '/mfa', { code: recoveryCodes[0]!.toLowerCase() }), verifier);
    assert.deepEqual(decodeJwt(recovered.id_token).amr, ['pwd', 'otp', 'mfa']);
    assert.equal((await audit('recovery_code.used', ids.rita!))[0]!.details.left, 9);

    const third = new SignIn(gh.issuer);
    ({ page } = await third.start());
    challenge = await third.password(page, { username: 'rita', password: PASSWORD });
    const reused = await third.browser.submit(challenge, '/mfa', { code: recoveryCodes[0]! });
    assert.equal(reused.status, 401, 'a used recovery code is refused');
  });

  it('wrong TOTP codes count towards the login lockout: then even the right password and code are refused', async () => {
    const { secret } = await enrolTotp('lou');
    const signIn = new SignIn(gh.issuer);
    const { page } = await signIn.start();
    let challenge = await signIn.password(page, { username: 'lou', password: PASSWORD });
    for (let i = 0; i < 3; i += 1) challenge = await signIn.browser.submit(challenge, '/mfa', { code: codeFor(secret, 5) });
    assert.equal((await gh.gatehouse.storage.db('audit_log').where({ action: 'login.lockout', target: `user:${ids.lou}` })).length, 1);
    const locked = await signIn.browser.submit(challenge, '/mfa', { code: codeFor(secret, 1) });
    assert.equal(locked.status, 401, 'the right code is refused while locked');
    const again = new SignIn(gh.issuer);
    const refused = await again.password((await again.start()).page, { username: 'lou', password: PASSWORD });
    assert.equal(refused.status, 401);
    assert.ok(refused.html.includes(LOGIN_FAILED), 'the password page answers as for a wrong password');
  });

  it('a lab that requires a second factor: its member (mary, lab-2) cannot finish with a password alone; the access token carries mfa', async () => {
    const signIn = new SignIn(gh.issuer);
    const { page } = await signIn.start({ scope: 'openid labs', lab: 'lab-2', resource: CMS });
    const enrol = await signIn.password(page, { username: 'mary', password: 'pass123-long-enough' });
    assert.ok(isEnrolmentPage(enrol), 'asked to enrol, not sent back with tokens');
    // Skipping the enrolment gets nothing: there is no second factor to continue with.
    const skipped = await signIn.browser.submit(enrol, '/abort');
    assert.match(skipped.url, /error=access_denied/);

    const retry = new SignIn(gh.issuer);
    const started = await retry.start({ scope: 'openid labs', lab: 'lab-2', resource: CMS });
    const form = await retry.password(started.page, { username: 'mary', password: 'pass123-long-enough' });
    const done = await retry.browser.submit(form, '/mfa/enrol', { code: codeFor(secretOn(form)) });
    const tokens = await retry.finish(await retry.browser.submit(done, '/mfa/continue'), started.verifier);
    const access = decodeJwt(tokens.access_token);
    assert.equal(access.lab_id, 'lab-2');
    assert.deepEqual([access.amr, access.acr], [['pwd', 'otp', 'mfa'], ACR_MULTI_FACTOR]);
    const introspected = await introspect(gh.issuer, tokens.access_token);
    assert.deepEqual([introspected.active, introspected.amr, introspected.acr], [true, ['pwd', 'otp', 'mfa'], ACR_MULTI_FACTOR]);
  });

  it('a resource that requires a second factor asks john for one; an existing one-factor session steps up without the password', async () => {
    const signIn = new SignIn(gh.issuer);
    const { page, verifier } = await signIn.start({ scope: 'openid' });
    assert.deepEqual(decodeJwt((await signIn.finish(await signIn.password(page, john), verifier)).id_token).amr, ['pwd']);
    // Same browser, same session: a request for the CMS needs the second factor only.
    const stepUp = await signIn.start({ scope: 'openid', resource: CMS });
    assert.ok(isEnrolmentPage(stepUp.page), `the enrolment page without the password, got:\n${stepUp.page.html}`);
    const done = await signIn.browser.submit(stepUp.page, '/mfa/enrol', { code: codeFor(secretOn(stepUp.page)) });
    const tokens = await signIn.finish(await signIn.browser.submit(done, '/mfa/continue'), stepUp.verifier);
    assert.deepEqual(decodeJwt(tokens.access_token).amr, ['pwd', 'otp', 'mfa']);
    assert.equal((await audit('login.step_up', ids.john!)).length, 1);
    // max_age=0: a fresh sign-in is required, both factors again.
    const fresh = await signIn.start({ scope: 'openid', max_age: '0' });
    assert.ok(isPasswordPage(fresh.page));
  });

  /** The JSON posts /static/passkey.js makes on an interaction page: the page's CSRF token, the browser's cookies. */
  function passkeyCalls(signIn: SignIn, page: Page) {
    const uid = /\/interaction\/([^/"]+)\//.exec(page.html)![1]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.html)![1]!;
    const post = (path: string, body: unknown, origin = gh.issuer) => fetch(`${gh.issuer}/interaction/${uid}${path}`, {
      method: 'POST', headers: { cookie: signIn.browser.jar.header(`${gh.issuer}/interaction/${uid}${path}`), 'content-type': 'application/json', accept: 'application/json', origin }, body: JSON.stringify(body),
    });
    /** Options for `purpose`, answered by `respond`: the status and body of the check. */
    const ceremony = async (purpose: 'signin' | 'register', respond: (options: { challenge: string }) => unknown) => {
      const options = await post('/passkey/options', { csrf, purpose });
      assert.equal(options.status, 200);
      const answer = await post(purpose === 'register' ? '/passkey/register' : '/passkey/verify', { csrf, response: respond(await options.json() as { challenge: string }) });
      return { status: answer.status, body: await answer.json() as { message?: string; redirect?: string } };
    };
    return { csrf, post, ceremony };
  }

  /** What a forged response gets wrong, and what the library's reason (in the audit entry) names. */
  const FORGERIES: Array<[string, Forgery, RegExp]> = [
    ['another challenge', { challenge: Buffer.from('a challenge Gatehouse never issued').toString('base64url') }, /challenge/],
    ['another origin', { origin: 'https://evil.example' }, /origin "https:\/\/evil\.example"/],
    ['another RP ID', { rpId: 'evil.example' }, /RP ID/],
  ];

  it('refuses forged passkey ceremonies (another challenge, origin or RP ID; a cloned key whose counter goes backwards): one message, the reason audited, nothing changed', async () => {
    const issuer = new URL(gh.issuer);
    const key = new SoftwareAuthenticator({ id: issuer.hostname, origin: issuer.origin });
    const failures = async () => (await audit('factor.failed', ids.vera!)).map((r) => r.details as { reason: string; error?: string });
    const passkey = async () => gh.gatehouse.storage.db('user_factors').first('sign_count', 'last_used_at').where({ user_id: ids.vera, kind: 'passkey' });

    // Registration, during a sign-in that asks for two factors.
    const enrolling = new SignIn(gh.issuer);
    const started = await enrolling.start({ acr_values: ACR_MULTI_FACTOR });
    const enrol = await enrolling.password(started.page, { username: 'vera', password: PASSWORD });
    assert.ok(isEnrolmentPage(enrol));
    const registration = passkeyCalls(enrolling, enrol);
    for (const [what, forgery] of FORGERIES) {
      const refused = await registration.ceremony('register', (options) => key.register(options, forgery));
      assert.deepEqual([refused.status, refused.body.message], [400, PASSKEY_REFUSED], what);
    }
    assert.equal(await passkey(), undefined, 'no passkey was added');
    let audited = await failures();
    assert.deepEqual(audited.map((f) => f.reason), FORGERIES.map(() => 'registration_not_verified'));
    FORGERIES.forEach(([what, , reason], i) => assert.match(audited[i]!.error ?? '', reason, what));
    // The same authenticator, answering truthfully, is accepted: the refusals were the forgeries'.
    const registered = await registration.ceremony('register', (options) => key.register(options));
    assert.equal(registered.status, 200, JSON.stringify(registered.body));
    const done = await enrolling.browser.go(`${gh.issuer}${registered.body.redirect}`);
    await enrolling.finish(await enrolling.browser.submit(done, '/mfa/continue'), started.verifier);

    // Sign-in with the passkey alone (username-less).
    const signingIn = new SignIn(gh.issuer);
    const login = passkeyCalls(signingIn, (await signingIn.start()).page);
    for (const [what, forgery] of FORGERIES) {
      const refused = await login.ceremony('signin', (options) => key.assert(options, forgery));
      assert.deepEqual([refused.status, refused.body.message], [400, PASSKEY_REFUSED], what);
    }
    audited = (await failures()).slice(FORGERIES.length);
    assert.deepEqual(audited.map((f) => f.reason), FORGERIES.map(() => 'not_verified'));
    FORGERIES.forEach(([what, , reason], i) => assert.match(audited[i]!.error ?? '', reason, what));
    assert.deepEqual(await passkey(), { sign_count: 0, last_used_at: null }, 'the stored passkey did not change');
    key.counter = 4;
    const genuine = await login.ceremony('signin', (options) => key.assert(options));
    assert.equal(genuine.status, 200, JSON.stringify(genuine.body));
    assert.equal((await passkey()).sign_count, 5);

    // A copy of the key, its counter behind the original's: refused even though its signature is good.
    const clone = new SignIn(gh.issuer);
    const cloned = await passkeyCalls(clone, (await clone.start()).page).ceremony('signin', (options) => key.assert(options, { counter: 3 }));
    assert.deepEqual([cloned.status, cloned.body.message], [400, PASSKEY_REFUSED]);
    const [last] = (await failures()).slice(-1);
    assert.equal(last!.reason, 'counter_regressed');
    assert.match(last!.error ?? '', /counter value 3 was lower than expected 5/);
    assert.equal((await passkey()).sign_count, 5, 'the counter stays where the real key left it');
  });

  it('refuses forged passkey responses (unknown credential, garbage attestation) with one message, audited, and a cross-site post', async () => {
    const signIn = new SignIn(gh.issuer);
    const { page } = await signIn.start();
    const { csrf, post } = passkeyCalls(signIn, page);
    const options = await post('/passkey/options', { csrf, purpose: 'signin' });
    assert.equal(options.status, 200);
    assert.ok(((await options.json()) as { challenge: string }).challenge, 'a challenge for the browser');
    const forged = { id: 'bm90LWEtY3JlZGVudGlhbA', rawId: 'bm90LWEtY3JlZGVudGlhbA', type: 'public-key', response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' }, clientExtensionResults: {} };
    const refused = await post('/passkey/verify', { csrf, response: forged });
    assert.deepEqual([refused.status, ((await refused.json()) as { message: string }).message], [400, PASSKEY_REFUSED]);
    const [row] = await gh.gatehouse.storage.db('audit_log').select('details').where({ action: 'factor.failed' }).whereRaw("details->>'reason' = 'unknown_credential'");
    assert.equal(row.details.kind, 'passkey');
    assert.equal((await post('/passkey/verify', { csrf, response: forged }, 'https://evil.example')).status, 400, 'cross-site post refused');
    assert.equal((await post('/passkey/verify', { csrf: 'forged', response: forged })).status, 400, 'no CSRF token, no check');
    assert.equal((await post('/passkey/register', { csrf, response: forged })).status, 400, 'no enrolment under way');
  });

  it('admins reset factors through the API (scope users:factors, audited, confined to a lab admin\'s own members)', async () => {
    const lenaToken = await personToken(gh.issuer, lena, { lab: 'lab-1', scope: API_SCOPES });
    assert.equal(decodeJwt(lenaToken).scope, API_SCOPES, 'users:factors among them');
    // mary is in lab-1 and lab-2: lena may not; otto (lab-2 alone) is not hers at all.
    assert.equal((await api(gh.issuer, lenaToken, 'DELETE', `/users/${ids.mary}/factors`)).status, 403);
    assert.equal((await api(gh.issuer, lenaToken, 'DELETE', `/users/${ids.otto}/factors`)).status, 404);
    const noScope = await personToken(gh.issuer, root, { scope: 'users:write' });
    assert.equal((await api(gh.issuer, noScope, 'DELETE', `/users/${ids.tina}/factors`)).status, 403);
    const reset = await api(gh.issuer, lenaToken, 'DELETE', `/users/${ids.tina}/factors`);
    assert.deepEqual([reset.status, reset.body], [200, { removed: 1 }]);
    assert.equal((await gh.gatehouse.storage.db('recovery_codes').where({ user_id: ids.tina })).length, 0);
    const [row] = await gh.gatehouse.storage.db('audit_log').select('actor', 'details').where({ action: 'factor.reset', target: `user:${ids.tina}` });
    assert.deepEqual(row.details, { removed: 1, kinds: ['totp', 'recovery_codes'] });
    assert.equal(row.actor, `user:${ids.lena}`);
    // Without factors, tina signs in with her password again.
    const signIn = new SignIn(gh.issuer);
    const { page, verifier } = await signIn.start({ scope: 'openid' });
    assert.deepEqual(decodeJwt((await signIn.finish(await signIn.password(page, { username: 'tina', password: PASSWORD }), verifier)).id_token).amr, ['pwd']);
  });

  it('gatehouse users reset-factors removes them too, audited as the operator', async () => {
    await gh.gatehouse.close();
    const result = await runCli(['users', 'reset-factors', 'mary'], sandbox.env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /1 second factor\(s\) and every recovery code of mary removed/);
    gh = await startTestGatehouse({}, sandbox);
    assert.equal((await gh.gatehouse.storage.db('user_factors').where({ user_id: ids.mary })).length, 0);
    const [row] = await gh.gatehouse.storage.db('audit_log').select('actor').where({ action: 'factor.reset', target: `user:${ids.mary}` });
    assert.match(row.actor, /^cli/);
  });
});
