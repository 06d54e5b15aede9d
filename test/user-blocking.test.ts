import { strict as assert } from 'node:assert';

import { FormBrowser } from './helpers/form-login.js';
import { CMS, createSandbox, john, mode, portal, runCliInProcess, startTestGatehouse, type Sandbox, type TestGatehouse } from './helpers/harness.js';
import { introspect, refresh, userTokens } from './helpers/user-tokens.js';
import { LOGIN_FAILED } from '../src/interactions/interaction-routes.js';

describe(`blocking and restoring a user with the CLI (${mode})`, () => {
  let sandbox: Sandbox;
  let gh: TestGatehouse;
  before(async () => {
    sandbox = await createSandbox();
    gh = await startTestGatehouse({}, sandbox);
  });
  after(async () => {
    await gh?.stop();
    await sandbox?.dispose();
  });

  /** The CLI acts on the database directly; the embedded one belongs to the server while it runs. */
  async function cli(args: string[]) {
    if (mode === 'embedded') await gh.stop();
    const result = await runCliInProcess(args, sandbox.env);
    if (mode === 'embedded') gh = await startTestGatehouse({ PORT: String(gh.config.port), ISSUER: gh.issuer }, sandbox);
    return result;
  }

  async function loginPage(password = john.password) {
    const browser = new FormBrowser(portal.redirectUri);
    const auth = new URL(`${gh.issuer}/auth`);
    auth.search = new URLSearchParams({ client_id: portal.id, response_type: 'code', redirect_uri: portal.redirectUri, scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' }).toString();
    return browser.submit(await browser.go(auth.href), '/login', { login: john.username, password });
  }

  it('block: the live refresh token fails, the access tokens introspect inactive, login fails like a wrong password; restore: login works', async () => {
    const tokens = await userTokens(gh.issuer, { scope: 'openid offline_access cases:read', resource: CMS });
    assert.equal((await introspect(gh.issuer, tokens.access_token)).active, true);

    const missingReason = await runCliInProcess(['users', 'block', 'john'], sandbox.env);
    assert.equal(missingReason.code, 2);
    const blocked = await cli(['users', 'block', 'john', '--reason', 'left the company', '--json']);
    assert.equal(blocked.code, 0, blocked.stderr);
    assert.equal(JSON.parse(blocked.stdout).status, 'blocked');

    assert.equal((await introspect(gh.issuer, tokens.access_token)).active, false);
    const refused = await refresh(gh.issuer, tokens.refresh_token!);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'invalid_grant');
    const denied = await loginPage();
    assert.equal(denied.status, 401, denied.html);
    assert.ok(denied.html.includes(LOGIN_FAILED));
    const wrongPassword = await loginPage('not-the-password');
    const normalise = (html: string) => html.replace(/value="[^"]*"/g, '').replace(/\/interaction\/[^/]+\//g, '/interaction/UID/');
    assert.equal(wrongPassword.status, 401);
    assert.equal(normalise(denied.html), normalise(wrongPassword.html), 'indistinguishable from a wrong password');

    const restored = await cli(['users', 'restore', 'john']);
    assert.equal(restored.code, 0, restored.stderr);
    const allowed = await loginPage();
    assert.ok(allowed.html.includes('/confirm"') || allowed.url.startsWith(portal.redirectUri), 'login works again');
    assert.equal((await refresh(gh.issuer, tokens.refresh_token!)).status, 400, 'revoked grants stay revoked');

    const rows = await gh.gatehouse.storage.db('audit_log').select('action', 'details').whereIn('action', ['user.blocked', 'user.restored']).whereNot('actor', 'like', 'import:%').orderBy('id');
    assert.deepEqual(rows.map((r: { action: string }) => r.action), ['user.blocked', 'user.restored']);
  });
});
