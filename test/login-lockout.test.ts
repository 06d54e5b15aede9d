import { strict as assert } from 'node:assert';

import { eventually } from './helpers/eventually.js';
import { FormBrowser } from './helpers/form-login.js';
import { mode, portal, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { LOGIN_FAILED } from '../src/interactions/interaction-routes.js';

const mary = { username: 'mary', password: 'pass123-long-enough' };
const john = { username: 'john', password: 'pass123-long-enough' };

describe(`temporary lockout after repeated failed logins (${mode})`, () => {
  let gh: TestGatehouse;
  before(async () => {
    gh = await startTestGatehouse({ GATEHOUSE_LOGIN_MAX_FAILURES: '3', GATEHOUSE_LOGIN_LOCKOUT_SECONDS: '2' });
  });
  after(async () => gh?.stop());

  async function attempt(login: string, password: string) {
    const browser = new FormBrowser(portal.redirectUri);
    const auth = new URL(`${gh.issuer}/auth`);
    auth.search = new URLSearchParams({ client_id: portal.id, response_type: 'code', redirect_uri: portal.redirectUri, scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' }).toString();
    return browser.submit(await browser.go(auth.href), '/login', { login, password });
  }

  it('locks a login name after the configured failures, answering like a wrong password, audits it, and lifts it after the window', async () => {
    const firstFailureAt = Date.now();
    for (let i = 0; i < 3; i += 1) assert.equal((await attempt(mary.username, 'not-marys-password')).status, 401);

    const locked = await attempt('mary@test.com', mary.password);
    assert.equal(locked.status, 401, 'the right password is refused while locked, whichever name of the account is typed');
    const wrong = await attempt(mary.username, 'not-marys-password');
    const normalise = (html: string) => html.replace(/value="[^"]*"/g, '').replace(/\/interaction\/[^/]+\//g, '/interaction/UID/');
    assert.ok(locked.html.includes(LOGIN_FAILED));
    assert.equal(normalise(locked.html), normalise(wrong.html), 'a lockout looks exactly like a wrong password');

    const other = await attempt(john.username, john.password);
    assert.ok(other.status === 200 && other.html.includes('/confirm"'), `other users are not affected: they reach consent (got ${other.status})`);

    const rows = await gh.gatehouse.storage.db('audit_log').select('action', 'details').whereIn('action', ['login.lockout', 'login.failed']).orderBy('id');
    const details = (r: { details: unknown }) => (typeof r.details === 'string' ? JSON.parse(r.details) : r.details) as { reason?: string; login?: string };
    assert.equal(rows.filter((r: { action: string }) => r.action === 'login.lockout').length, 1);
    assert.ok(rows.some((r: { action: string; details: unknown }) => r.action === 'login.failed' && details(r).reason === 'locked_out'));
    assert.ok(!JSON.stringify(rows).includes(mary.password), 'no password in the audit log');

    // Attempts while locked do not extend the window: the lock ends 2 s after the first failure.
    const liftedAt = await eventually(async () => ((await attempt(mary.username, mary.password)).html.includes('/confirm"') ? Date.now() : undefined), { intervalMs: 100, what: 'the lock to end' });
    assert.ok(liftedAt - firstFailureAt >= 2000, `the lock ends with its window, not before (${liftedAt - firstFailureAt} ms)`);
  });
});
