import { strict as assert } from 'node:assert';

import { eventually } from './helpers/eventually.js';
import { FormBrowser } from './helpers/form-login.js';
import { backend, CMS, createSandbox, john, mode, portal, postForm, runCli, runCliInProcess, startTestGatehouse, type Sandbox } from './helpers/harness.js';
import { refresh, revoke, userTokens } from './helpers/user-tokens.js';

describe(`audit log with a hash chain (${mode})`, () => {
  let sandbox: Sandbox;
  const secrets: string[] = [john.password, portal.secret, backend.secret, 'wrong-password-here'];
  let rows: Array<Record<string, unknown>>;

  before(async () => {
    sandbox = await createSandbox();
    const gh = await startTestGatehouse({}, sandbox);
    try {
      // a failed login, then the flows that succeed
      const browser = new FormBrowser(portal.redirectUri);
      const auth = new URL(`${gh.issuer}/auth`);
      auth.search = new URLSearchParams({ client_id: portal.id, response_type: 'code', redirect_uri: portal.redirectUri, scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' }).toString();
      await browser.submit(await browser.go(auth.href), '/login', { login: 'john', password: 'wrong-password-here' });

      const first = await userTokens(gh.issuer);
      secrets.push(first.access_token, first.refresh_token!);
      const rotated = await refresh(gh.issuer, first.refresh_token!);
      await refresh(gh.issuer, String(rotated.body.refresh_token)); // the successor is used...
      await refresh(gh.issuer, first.refresh_token!); // ...so this is reuse, not a retry: the grant is revoked
      const jwt = String((await postForm(`${gh.issuer}/token`, { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }, backend)).body.access_token);
      secrets.push(jwt);
      await revoke(gh.issuer, jwt, backend);
      // Reuse detection and revocation are appended in the background: wait until both are in.
      rows = await eventually(async () => {
        const all = (await gh.gatehouse.storage.db('audit_log').select().orderBy('id')) as Array<Record<string, unknown>>;
        const actions = new Set(all.map((r) => r.action));
        return actions.has('refresh_token.reuse_detected') && actions.has('access_token.revoked') ? all : undefined;
      }, { what: 'the background audit appends' });
    } finally {
      await gh.stop();
    }
  });
  after(async () => sandbox?.dispose());

  it('records logins, refresh-token reuse and revocations, with who, what, request id and IP', () => {
    const actions = rows.map((r) => r.action);
    for (const action of ['login.failed', 'login.succeeded', 'refresh_token.reuse_detected', 'access_token.revoked']) {
      assert.ok(actions.includes(action), `${action} in ${actions.join(', ')}`);
    }
    const failed = rows.find((r) => r.action === 'login.failed')!;
    assert.equal((failed.details as Record<string, unknown>).reason, 'wrong_password');
    assert.ok(failed.request_id);
    assert.ok(failed.ip);
    const ok = rows.find((r) => r.action === 'login.succeeded')!;
    assert.match(String(ok.actor), /^user:/);
  });

  it('never contains a password, a client secret or a token', () => {
    const text = JSON.stringify(rows);
    for (const secret of secrets) assert.ok(!text.includes(secret), `audit log leaks ${secret.slice(0, 12)}…`);
  });

  it('`gatehouse audit verify` passes, then names the row an SQL edit broke', async () => {
    const ok = await runCliInProcess(['audit', 'verify', '--json'], sandbox.env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout), { ok: true, rows: rows.length });

    const victim = rows[Math.floor(rows.length / 2)]!;
    const { createDatabase } = await import('../src/storage/postgres/database.js');
    const { db } = await createDatabase({ databaseUrl: sandbox.env.DATABASE_URL, dataDir: sandbox.env.GATEHOUSE_DATA_DIR!, poolMax: 1 });
    try {
      await db('audit_log').where({ id: victim.id }).update({ actor: 'user:someone-else' });
    } finally {
      await db.destroy();
    }
    // The binary itself: a broken chain is its exit code 1.
    const broken = await runCli(['audit', 'verify', '--json'], sandbox.env);
    assert.equal(broken.code, 1);
    const report = JSON.parse(broken.stdout) as { ok: boolean; brokenAt: number; reason: string };
    assert.equal(report.ok, false);
    assert.equal(report.brokenAt, Number(victim.id));
    assert.match(report.reason, /edited/);
    const text = await runCliInProcess(['audit', 'verify'], sandbox.env);
    assert.match(text.stdout, new RegExp(`audit chain broken at row ${victim.id}`));
  });
});
