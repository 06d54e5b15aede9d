import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';

import { decodeProtectedHeader } from 'jose';

import { packageRoot } from '../src/config/paths.js';
import { rotateKeyFile } from '../src/oidc/keys.js';
import { eventually } from './helpers/eventually.js';
import { backend, CMS, createSandbox, fixtureImport, freePort, john, mode, postForm, startTestGatehouse, type Sandbox, type TestGatehouse } from './helpers/harness.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';
import { refresh, userTokens } from './helpers/user-tokens.js';

// Debian 12's interpreter, where python3-jwt 2.6, python3-cryptography 38 and the framework
// packages are installed (.ci/run installs them); a `python3` earlier on PATH may lack them.
const PYTHON = '/usr/bin/python3';
const TTS = 'https://tts.example';
const USERS = 'https://users.example';
const mary = { username: 'mary', password: 'pass123-long-enough' };
const pia = { username: 'pia', password: 'pass123-long-enough' };

/**
 * The fixture import plus what the Python examples need: the ticket service's `Technician` role on
 * TTS (john has it, mary not) and a user service resource, both reachable through `portal`.
 */
function pythonImport(dir: string): string {
  const doc = JSON.parse(readFileSync(fixtureImport, 'utf8')) as {
    resources: { uri: string; scopes: string[]; roles: string[] }[];
    clients: { client_id: string; scope: string; resources: string[] }[];
    users: { username: string; roles?: { resource: string; role: string }[] }[];
  };
  doc.resources.find((r) => r.uri === TTS)!.roles.push('Technician');
  doc.resources.push({ uri: USERS, name: 'User service', access_token_ttl: 300, scopes: ['profile:read'], roles: ['directory'] } as never);
  const portal = doc.clients.find((c) => c.client_id === 'portal')!;
  portal.resources.push(TTS, USERS);
  portal.scope += ' tickets:read profile:read';
  doc.users.find((u) => u.username === 'john')!.roles!.push({ resource: TTS, role: 'Technician' });
  // The revocation feed test blocks pia: a user of her own, so no other test loses its tokens.
  doc.users.push({ ...doc.users.find((u) => u.username === 'john')!, username: pia.username, email: 'pia@test.com', roles: [] } as never);
  const file = join(dir, 'python-import.json');
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

describe(`Python gatehouse-verifier (packages/verifier-python) against a real Gatehouse (${mode})`, () => {
  let box: Sandbox;
  let gh: TestGatehouse;
  let proxy: TcpProxy;
  let control: Server;
  let controlUrl: string;
  const tokens: Record<string, string> = {};

  before(async () => {
    box = await createSandbox();
    // Services reach Gatehouse through a TCP proxy named in ISSUER, so pytest can make Gatehouse
    // unreachable (cut) and bring it back without stopping it.
    const gatehousePort = await freePort();
    proxy = await startTcpProxy('127.0.0.1', gatehousePort);
    gh = await startTestGatehouse({ GATEHOUSE_IMPORT: pythonImport(box.dir), PORT: String(gatehousePort), ISSUER: `http://127.0.0.1:${proxy.port}` }, box);

    const cms = 'openid offline_access cases:read cases:write';
    tokens.john_cms = (await userTokens(gh.issuer, { scope: cms, resource: CMS, user: john })).access_token;
    const maryLab1 = await userTokens(gh.issuer, { scope: cms, resource: CMS, user: mary, extra: { lab: 'lab-1' } });
    tokens.mary_lab1_cms = maryLab1.access_token;
    // Revoking a token revokes its grant: the revocation test gets a login (grant) of its own.
    tokens.mary_lab1_cms_revocable = (await userTokens(gh.issuer, { scope: cms, resource: CMS, user: mary, extra: { lab: 'lab-1' } })).access_token;
    const switched = await refresh(gh.issuer, maryLab1.refresh_token!, { lab: 'lab-2' });
    assert.equal(switched.status, 200, JSON.stringify(switched.body));
    tokens.mary_lab2_cms = String(switched.body.access_token);
    tokens.john_tts = (await userTokens(gh.issuer, { scope: 'openid tickets:read', resource: TTS, user: john })).access_token;
    tokens.mary_tts = (await userTokens(gh.issuer, { scope: 'openid tickets:read', resource: TTS, user: mary, extra: { lab: 'lab-1' } })).access_token;
    // Two logins (grants): revoking the first token must leave the second valid until pia is blocked.
    tokens.pia_cms_first = (await userTokens(gh.issuer, { scope: cms, resource: CMS, user: pia })).access_token;
    tokens.pia_cms_second = (await userTokens(gh.issuer, { scope: cms, resource: CMS, user: pia })).access_token;
    tokens.john_users = (await userTokens(gh.issuer, { scope: 'openid profile:read', resource: USERS, user: john })).access_token;

    const serviceToken = async () => String((await postForm(`${gh.issuer}/token`, { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }, backend)).body.access_token);
    control = createServer((req, res) => {
      const answer = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (req.method !== 'POST') return answer(405, {});
      if (req.url === '/cut') return proxy.cut(), answer(200, { cut: true });
      if (req.url === '/restore') return proxy.restore(), answer(200, { cut: false });
      if (req.url === '/rotate') {
        // `gatehouse keys rotate` without pre-publication: the new key signs at once; answered
        // once Gatehouse (which reloads its key file) signs with it.
        rotateKeyFile(gh.config.keysDir, 3600)
          .then(({ added }) => eventually(async () => (decodeProtectedHeader(await serviceToken()).kid === added ? added : undefined), { what: `tokens signed by ${added}` }))
          .then((kid) => answer(200, { kid }), (error: unknown) => answer(500, { error: String(error) }));
        return undefined;
      }
      return answer(404, {});
    });
    await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
    controlUrl = `http://127.0.0.1:${(control.address() as { port: number }).port}`;
  });

  after(async () => {
    await new Promise((resolve) => (control ? control.close(resolve) : resolve(undefined)));
    await proxy?.close();
    await gh?.stop();
    await box?.dispose();
  });

  /** Runs a command to its end; resolves with its exit code and interleaved output. */
  async function run(command: string, args: string[], options: { cwd: string; env: Record<string, string | undefined> }) {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? -1)));
    return { code, output };
  }

  it('installs with pip (typed, requiring only PyJWT and cryptography) and imports without any web framework', async () => {
    // A copy, so the build leaves nothing in the checkout; no PyPI here, hence no build isolation.
    const source = join(box.dir, 'verifier-python');
    cpSync(join(packageRoot, 'packages/verifier-python'), source, { recursive: true, filter: (path) => !path.includes('__pycache__') });
    const venv = join(box.dir, 'venv');
    const env = { PATH: process.env.PATH, PYTHONDONTWRITEBYTECODE: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1' };
    const made = await run(PYTHON, ['-m', 'venv', '--system-site-packages', venv], { cwd: box.dir, env });
    assert.equal(made.code, 0, made.output);
    const installed = await run(join(venv, 'bin/pip'), ['install', '-q', '--no-index', '--no-build-isolation', source], { cwd: box.dir, env });
    assert.equal(installed.code, 0, installed.output);
    const probe = await run(join(venv, 'bin/python'), ['-c', [
      'import importlib.metadata as m, os, sys, gatehouse_verifier as g',
      'print(os.path.exists(os.path.join(os.path.dirname(g.__file__), "py.typed")))',
      'print(sorted(r.split(">")[0].split(" ")[0] for r in m.requires("gatehouse-verifier") if "extra" not in r))',
      'print(sorted(f for f in ("flask", "django", "fastapi", "starlette") if f in sys.modules))',
      'print(g.__file__.startswith(sys.prefix))',
    ].join('; ')], { cwd: box.dir, env });
    assert.equal(probe.code, 0, probe.output);
    assert.deepEqual(probe.output.trim().split('\n'), ['True', "['PyJWT', 'cryptography']", '[]', 'True']);
  });

  it('passes its pytest suite (verifier, tampering, JWKS cooldown, outage, rotation, revocation feed, Flask/Django/FastAPI examples) on Debian\'s PyJWT and cryptography', async () => {
    const { code, output } = await run(PYTHON, ['-m', 'pytest', 'packages/verifier-python/tests', '-q', '-p', 'no:cacheprovider', '-rs', ...(process.env.PYTEST_ARGS?.split(' ') ?? [])], {
      cwd: packageRoot,
      env: {
        PATH: process.env.PATH,
        PYTHONDONTWRITEBYTECODE: '1',
        GATEHOUSE_ISSUER: gh.issuer,
        GATEHOUSE_CONTROL: controlUrl,
        GATEHOUSE_KEYS_DIR: gh.config.keysDir,
        GATEHOUSE_TOKENS: JSON.stringify(tokens),
        GATEHOUSE_FIXTURE_IMPORT: fixtureImport,
      },
    });
    assert.equal(code, 0, `pytest failed:\n${output}`);
    assert.match(output, /\d+ passed/);
    assert.doesNotMatch(output, /\d+ (skipped|errors?|xfailed|failed)/, `pytest skipped or errored something:\n${output}`);
  });
});
