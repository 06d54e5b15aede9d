import { spawn } from 'node:child_process';
import { strict as assert } from 'node:assert';
import { join } from 'node:path';

import { packageRoot } from '../src/config/paths.js';
import { CMS, createSandbox, fixtureImport, mode, runCli, runCliInProcess, startTestGatehouse, type Sandbox, type TestGatehouse } from './helpers/harness.js';
import { userTokens } from './helpers/user-tokens.js';

/** The CLI with text on standard input (runCli gives it none): for --password-stdin and set-password. */
async function runCliWithInput(args: string[], env: Record<string, string>, input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(packageRoot, 'dist/src/cli/main.js'), ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => { stdout += c; });
  child.stderr.on('data', (c) => { stderr += c; });
  child.stdin.end(input);
  const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? -1)));
  return { code, stdout, stderr };
}

const PASSWORD = 'violet-harbour-tram-42';
const NEW_PASSWORD = 'quiet-lantern-meadow-17';

describe(`gatehouse users and labs on the command line (${mode})`, () => {
  let sandbox: Sandbox;
  let gh: TestGatehouse | undefined;
  before(async () => {
    // No server runs while the CLI works: the embedded database belongs to one process at a time.
    sandbox = await createSandbox();
    // Migrating needs the database only: a Redis that is not up yet (a deployment's init step) does not stop it.
    const migrated = await runCliInProcess(['migrate'], { ...sandbox.env, REDIS_URL: 'redis://127.0.0.1:1' });
    assert.equal(migrated.code, 0, migrated.stderr);
  });
  after(async () => {
    await gh?.stop();
    await sandbox?.dispose();
  });

  // The commands run in this process (what the binary runs, without a Node start and a database
  // open each); a few go through the binary itself, for its exit codes and standard streams.
  const cli = (...args: string[]) => runCliInProcess(args, sandbox.env);

  it('answers usage errors with one line and exit code 2 (checked before a server holds the database)', async function () {
    this.timeout(120_000);
    const cases: Array<[string[], RegExp]> = [
      [['users', 'create'], /expected a username/],
      [['users', 'create', 'bad name'], /username is invalid/],
      [['users', 'create', 'x', '--email', 'not-an-email'], /--email "not-an-email": expected an email address/],
      [['users', 'create', 'x', '--password', 'a', '--password-stdin'], /not both/],
      [['users', 'frob'], /unknown users command 'frob'/],
      [['labs', 'create', 'lab-y'], /--name is required/],
      [['labs', 'add-member', 'lab-y', 'carla', '--role', 'boss'], /--role "boss": expected one of admin, member, viewer/],
      [['labs', 'add-member', 'lab-y'], /expects 2 argument/],
    ];
    for (const [index, [args, message]] of cases.entries()) {
      const result = await (index === 0 ? runCli : runCliInProcess)(args, sandbox.env);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr.split('\n')[0]!, message, args.join(' '));
    }
  });

  it('creates and lists labs, creates users with the API\'s rules, adds members, sets passwords; the user then signs in', async function () {
    this.timeout(240_000);
    const lab = await cli('labs', 'create', 'lab-cli', '--name', 'Command Line Lab', '--json');
    assert.equal(lab.code, 0, lab.stderr);
    assert.equal(JSON.parse(lab.stdout).id, 'lab-cli');
    const duplicateLab = await runCli(['labs', 'create', 'lab-cli', '--name', 'Again'], sandbox.env);
    assert.equal(duplicateLab.code, 1);
    assert.match(duplicateLab.stderr, /^gatehouse: a lab with id lab-cli already exists\n$/);

    const created = await runCliWithInput(['users', 'create', 'carla', '--email', 'carla@example.org', '--password-stdin', '--json'], sandbox.env, `${PASSWORD}\n`);
    assert.equal(created.code, 0, created.stderr);
    const carla = JSON.parse(created.stdout) as { id: string; username: string; isAdmin: boolean };
    assert.deepEqual([carla.username, carla.isAdmin], ['carla', false]);
    const admin = await cli('users', 'create', 'opal', '--admin', '--password', 'opal-is-the-operator-1', '--json');
    assert.equal(admin.code, 0, admin.stderr);
    assert.equal(JSON.parse(admin.stdout).isAdmin, true);

    const weak = await runCliInProcess(['users', 'create', 'dan', '--password-stdin'], sandbox.env, 'password1234\n');
    assert.equal(weak.code, 2);
    assert.match(weak.stderr, /^gatehouse: the password is too common[^\n]*\n$/);
    const short = await cli('users', 'create', 'dan', '--password', 'tiny');
    assert.equal(short.code, 2);
    assert.equal(short.stderr, 'gatehouse: the password must be at least 12 characters long\n');
    const taken = await cli('users', 'create', 'CARLA', '--email', 'someone@example.org');
    assert.equal(taken.code, 1);
    assert.equal(taken.stderr, 'gatehouse: the username is taken\n');
    const takenEmail = await cli('users', 'create', 'carl', '--email', 'Carla@Example.org');
    assert.equal(takenEmail.stderr, 'gatehouse: the email is taken\n');

    const member = await cli('labs', 'add-member', 'lab-cli', 'carla', '--role', 'member', '--json');
    assert.equal(member.code, 0, member.stderr);
    assert.deepEqual([JSON.parse(member.stdout).role, JSON.parse(member.stdout).userId], ['member', carla.id]);
    const unknownLab = await cli('labs', 'add-member', 'no-such-lab', 'carla', '--role', 'member');
    assert.equal(unknownLab.code, 1);
    assert.equal(unknownLab.stderr, 'gatehouse: lab not found\n');

    const listed = await cli('users', 'list', '--lab', 'lab-cli', '--json');
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout).map((u: { username: string; labs: unknown }) => [u.username, u.labs]), [['carla', [{ labId: 'lab-cli', role: 'member', status: 'active' }]]]);
    assert.ok(!listed.stdout.includes('argon2'), 'no hashes');
    const table = await cli('users', 'list');
    assert.match(table.stdout, /^USERNAME +STATUS +ADMIN +EMAIL +LABS\ncarla +active +carla@example\.org +lab-cli\(member\)\nopal +active +yes/);
    const labs = await cli('labs', 'list', '--json');
    assert.deepEqual(JSON.parse(labs.stdout).map((l: { id: string; memberCount: number }) => [l.id, l.memberCount]), [['lab-cli', 1]]);

    const refused = await runCliInProcess(['users', 'set-password', 'carla'], sandbox.env, 'qwerty123456\n');
    assert.equal(refused.code, 2);
    const set = await runCliInProcess(['users', 'set-password', 'carla'], sandbox.env, `${NEW_PASSWORD}\n`);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout, 'password set for carla\n');
    assert.equal((await runCliInProcess(['users', 'set-password', 'nobody'], sandbox.env, `${NEW_PASSWORD}\n`)).stderr, 'gatehouse: no user named nobody\n');

    // The server, on the same database, lets carla in with the password the CLI set.
    gh = await startTestGatehouse({}, sandbox);
    const tokens = await userTokens(gh.issuer, { scope: 'openid', user: { username: 'carla', password: NEW_PASSWORD } });
    assert.equal(JSON.parse(Buffer.from(tokens.id_token!.split('.')[1]!, 'base64url').toString()).sub, carla.id);
    const rows = await gh.gatehouse.storage.db('audit_log').select('action', 'actor', 'details').where('actor', 'like', 'cli%').orderBy('id');
    assert.deepEqual(rows.map((r: { action: string }) => r.action), ['lab.created', 'user.created', 'user.created', 'member.added', 'user.password_set']);
    assert.ok(!JSON.stringify(rows).includes(PASSWORD) && !JSON.stringify(rows).includes(NEW_PASSWORD), 'no password in the audit log');
  });
});

describe(`gatehouse initial-access-tokens on the command line (${mode})`, () => {
  let sandbox: Sandbox;
  let gh: TestGatehouse | undefined;
  let env: Record<string, string>;
  before(async () => {
    sandbox = await createSandbox();
    env = { ...sandbox.env, GATEHOUSE_DYNAMIC_REGISTRATION: 'initial-access-token', GATEHOUSE_DYNAMIC_CLIENT_RESOURCES: CMS };
    // The resource the registered clients get comes with the fixture import.
    const imported = await runCliInProcess(['import', fixtureImport], env);
    assert.equal(imported.code, 0, imported.stderr);
  });
  after(async () => {
    await gh?.stop();
    await sandbox?.dispose();
  });

  const register = async (token: string) => (await fetch(`${gh!.issuer}/reg`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ client_name: 'A tool', redirect_uris: ['http://127.0.0.1:9/cb'], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'none' }),
  })).status;

  it('creates (shown once, expiry and uses), lists (never the value) and revokes tokens; the server registers clients with them, each as it was made', async function () {
    this.timeout(240_000);
    const usage: Array<[string[], RegExp]> = [
      [['initial-access-tokens', 'create', '--expires-in', '10'], /--expires-in "10": expected whole seconds between 60 and 2592000/],
      [['initial-access-tokens', 'create', '--expires-in', '1h'], /--expires-in "1h"/],
      [['initial-access-tokens', 'revoke'], /expected the ID of a token/],
      [['initial-access-tokens', 'revoke', 'not-an-id'], /expected the 43-character ID/],
      [['initial-access-tokens', 'frob'], /unknown initial-access-tokens command 'frob'/],
    ];
    for (const [args, message] of usage) {
      const result = await runCliInProcess(args, env);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr.split('\n')[0]!, message, args.join(' '));
    }
    // An ID may begin with '-' (one in 64 do): it is taken as the ID, not refused as an unknown option.
    const dashed = await runCliInProcess(['initial-access-tokens', 'revoke', `-${'p'.repeat(42)}`], env);
    assert.equal(dashed.code, 1, dashed.stderr);
    assert.match(dashed.stderr, /initial access token not found/);
    const off = await runCliInProcess(['initial-access-tokens', 'create'], sandbox.env);
    assert.equal(off.code, 2, 'refused while dynamic registration with initial access tokens is off');
    assert.match(off.stderr, /initial access tokens are issued only with dynamic registration set to initial-access-token/);

    const single = await runCliInProcess(['initial-access-tokens', 'create', '--expires-in', '600', '--json'], env);
    assert.equal(single.code, 0, single.stderr);
    const once = JSON.parse(single.stdout) as { id: string; token: string; singleUse: boolean; used: boolean; createdAt: string; expiresAt: string };
    assert.equal(once.singleUse, true);
    assert.equal(Date.parse(once.expiresAt) - Date.parse(once.createdAt), 600_000);
    const text = await runCliInProcess(['initial-access-tokens', 'create', '--reusable'], env);
    assert.equal(text.code, 0, text.stderr);
    const [, reusableId, reusableToken] = /^created (\S+) \(reusable, expires [^)]+\)\ninitial access token \(shown only now; hand it to the registrant\): (\S+)\n$/.exec(text.stdout) ?? [];
    assert.ok(reusableId && reusableToken, text.stdout);
    const doomed = JSON.parse((await runCliInProcess(['initial-access-tokens', 'create', '--json'], env)).stdout) as { id: string; token: string };

    const revoked = await runCliInProcess(['initial-access-tokens', 'revoke', doomed.id], env);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(revoked.stdout, `revoked ${doomed.id}\n`);
    const again = await runCliInProcess(['initial-access-tokens', 'revoke', doomed.id], env);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, 'gatehouse: initial access token not found\n');

    const listed = await runCliInProcess(['initial-access-tokens', 'list', '--json'], env);
    assert.equal(listed.code, 0, listed.stderr);
    const rows = JSON.parse(listed.stdout) as Array<{ id: string; singleUse: boolean; used: boolean }>;
    assert.deepEqual(rows.map((r) => [r.id, r.singleUse, r.used]).sort(), [[once.id, true, false], [reusableId, false, false]].sort());
    const table = await runCliInProcess(['initial-access-tokens', 'list'], env);
    assert.match(table.stdout, /^ID +USE +CREATED +EXPIRES\n/);
    for (const value of [once.token, reusableToken!, doomed.token]) {
      assert.ok(!listed.stdout.includes(value) && !table.stdout.includes(value), 'a token\'s value is never listed');
    }

    // The server, on the same database, takes the tokens the CLI made.
    gh = await startTestGatehouse({ GATEHOUSE_DYNAMIC_REGISTRATION: 'initial-access-token', GATEHOUSE_DYNAMIC_CLIENT_RESOURCES: CMS }, sandbox);
    assert.equal(await register(once.token), 201);
    assert.equal(await register(once.token), 401, 'a single-use token registers once');
    assert.equal(await register(reusableToken!), 201);
    assert.equal(await register(reusableToken!), 201, 'a reusable one until it expires');
    assert.equal(await register(doomed.token), 401, 'a revoked one registers nothing');

    const audit = await gh.gatehouse.storage.db('audit_log').select('action', 'actor', 'target').where('action', 'like', 'initial_access_token.%').orderBy('id');
    assert.deepEqual(audit.map((r: { action: string; target: string }) => [r.action, r.target]), [
      ['initial_access_token.created', `initial-access-token:${once.id}`],
      ['initial_access_token.created', `initial-access-token:${reusableId}`],
      ['initial_access_token.created', `initial-access-token:${doomed.id}`],
      ['initial_access_token.revoked', `initial-access-token:${doomed.id}`],
    ]);
    assert.ok(audit.every((r: { actor: string }) => r.actor.startsWith('cli')), 'audited as the operator');
    const registered = await gh.gatehouse.storage.db('audit_log').select('actor').where({ action: 'client.registered' }).orderBy('id');
    assert.deepEqual(registered.map((r: { actor: string }) => r.actor), [`initial-access-token:${once.id}`, `initial-access-token:${reusableId}`, `initial-access-token:${reusableId}`]);
  });
});
