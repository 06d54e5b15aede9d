import { strict as assert } from 'node:assert';
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';

import type { GatehouseClaims, RevocationFeed, Verifier } from '@gatehouse/verifier';

import { packageRoot } from '../src/config/paths.js';
import { TOKEN_EXCHANGE_GRANT } from '../src/domain/schemas/client-schemas.js';
import { docBlock, docBlocks, isExcerptOf } from './helpers/doc-blocks.js';
import { loginAndConsent } from './helpers/form-login.js';
import { dpopProof, dpopTokenRequest, newDpopKey } from './helpers/dpop.js';
import { eventually } from './helpers/eventually.js';
import { backend, CMS, john, mode, portal, postForm, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { otto } from './helpers/management-api.js';
import { userTokens } from './helpers/user-tokens.js';

const TTS = 'https://tts.example';
/** The languages whose blocks are code someone runs (json blocks are documents, untagged ones output). */
const RECIPE_LANGUAGES = new Set(['sh', 'bash', 'ts', 'js', 'python']);

/**
 * How each recipe in README.md and docs/ is proven. `runs`: a test below runs the block itself,
 * read from the doc. `excerpt`: the block is a run of lines of a file that tests run (checked
 * here). `not-run`: why no test here runs it, and what covers it instead.
 */
type Proof = { runs: string } | { excerpt: string } | { notRun: string };

const RECIPES: Record<string, Proof> = {
  'README.md: npm ci && npm start        # embedded default: no Postgres, no Redis; serves http://localhost:3000': { notRun: 'installs and starts the checkout: test/fresh-machine.test.ts runs npm start and npm test on a fresh machine' },
  'README.md: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379 npm test': { notRun: 'the suite itself, in servers mode (how CI runs it)' },
  'README.md: GATEHOUSE_IMPORT=test/fixtures/import.json npm start': { notRun: 'every test Gatehouse starts so (test/helpers/harness.ts startTestGatehouse)' },
  'README.md: ISSUER=${ISSUER:-http://localhost:3000}': { runs: 'client credentials, introspection, revocation' },
  'README.md: VERIFIER=$(openssl rand -base64 48 | tr -d \'=+/\\n\' | cut -c1-64)': { runs: 'authorization code + PKCE, refresh' },
  'README.md: ISSUER=${ISSUER:-http://localhost:3000} #2': { runs: 'the management API' },
  'docs/DEPLOYMENT.md: # 1. Cookie-signing secret(s), the DPoP nonce secret and the factor secret: 32+ characters each, identical on': { notRun: 'needs Docker; test/docker-compose.test.ts checks the compose file' },
  'docs/DEPLOYMENT.md: docker compose run --rm gatehouse-init': { notRun: 'needs Docker' },
  'docs/DEPLOYMENT.md: docker compose run --rm --no-deps gatehouse-init node dist/src/cli/main.js keys rotate': { notRun: 'needs Docker; test/key-rotation.test.ts runs keys rotate' },
  'docs/DEPLOYMENT.md: git pull                                   # or check out the release you want': { notRun: 'needs Docker' },
  'docs/DEPLOYMENT.md: docker volume create gh-data; docker volume create gh-keys': { notRun: 'needs Docker' },
  'docs/EVENTS.md: AMQP_URL=amqp://guest:guest@127.0.0.1:5672 npm start': { notRun: 'test/events.test.ts and test/user-sync.test.ts run Gatehouse with AMQP_URL' },
  'docs/EVENTS.md: curl -s -X POST "$ISSUER/api/v1/webhooks" -H "authorization: Bearer $TOKEN" -H \'content-type: application/json\' \\': { notRun: 'its URL names a public host, which the SSRF check resolves (no DNS here); test/events.test.ts subscribes through the same endpoint' },
  'docs/EVENTS.md: import { clientCredentialsToken, createRevocationFeed, createVerifier } from \'@gatehouse/verifier\';': { runs: 'the revocation feed' },
  'docs/INTEGRATION.md: npm ci && npm pack -w @gatehouse/verifier                  # in Gatehouse: gatehouse-verifier-0.1.0.tgz': { notRun: 'installs from npm; the workspace link the tests import @gatehouse/verifier through is the same package' },
  'docs/INTEGRATION.md: import { createVerifier } from \'@gatehouse/verifier\';': { runs: 'createVerifier and verify' },
  'docs/INTEGRATION.md: import Koa from \'koa\';': { runs: 'Koa' },
  'docs/INTEGRATION.md: import express from \'express\';': { runs: 'Express' },
  'docs/INTEGRATION.md: export const verifier = createVerifier({': { runs: 'DPoP' },
  'docs/INTEGRATION.md: pip install ./packages/verifier-python      # from a Gatehouse checkout; add --no-build-isolation offline': { notRun: 'test/python-verifier.test.ts installs it with pip' },
  'docs/INTEGRATION.md: import { decodeProtectedHeader, jwtVerify } from \'jose\';': { runs: 'the transitional verifier' },
  'docs/INTEGRATION.md: let cached: { token: string; until: number } | undefined;': { runs: 'serviceToken' },
  'docs/INTEGRATION.md: export async function deviceLogin(options: DeviceLoginOptions): Promise<oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers> {': { excerpt: 'examples/device-login.ts' },
  'docs/MANAGEMENT-API.md: TOKEN=$(curl -s -u ops-service:s3cret-value-ops-service -d grant_type=client_credentials \\': { runs: 'a service calling the management API' },
  'docs/PERFORMANCE.md: npm run bench                                   # = tsc -b && node dist/bench/token-issuance.js': { notRun: 'a benchmark (minutes): run by hand, never in npm test' },
  'docs/PERFORMANCE.md: node dist/bench/token-issuance.js --only issuance --cpu-prof /tmp/prof-issue': { notRun: 'a benchmark' },
  'docs/PERFORMANCE.md: npx tsc -b && node dist/bench/verifier-throughput.js                    # 20 rounds × 0.5 s per side, 1 in flight': { notRun: 'a benchmark' },
  'docs/PERFORMANCE.md: /usr/bin/python3 bench/python-verifier.py                  # 20 rounds × 0.5 s per side': { notRun: 'a benchmark' },
  'docs/PERFORMANCE.md: npx tsc -b && node dist/bench/events.js                      # 5 rounds × 3 s, 5000 events, 100 trials': { notRun: 'a benchmark' },
  'docs/PERFORMANCE.md: npx tsc -b && node dist/bench/warm-start.js --rounds 3': { notRun: 'a benchmark' },
  "docs/DEPLOYMENT.md: # Sentinel: the sentinels (any number, port 26379 by default), then the master group's name and the database": { notRun: 'example values of REDIS_URL for hosts that do not exist here; test/redis-high-availability.test.ts runs Gatehouse on a real Sentinel setup and Cluster with URLs of this form' },
  'docs/PERFORMANCE.md: npx tsc -b': { notRun: 'the fault run (minutes, restarts services): run by hand' },
  'docs/TOKENS.md: curl -s -u cms-exchanger:$SECRET \\': { runs: 'token exchange' },
};

/** Every Python block is an excerpt of an example service in examples/python/, which packages/verifier-python/tests run against a real Gatehouse. */
const PYTHON_EXAMPLES = 'examples/python';

function pythonSources(dir = join(packageRoot, PYTHON_EXAMPLES)): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return pythonSources(path);
    return entry.name.endsWith('.py') ? [readFileSync(path, 'utf8')] : [];
  });
}

/** Runs a shell recipe as written (bash, stopping at the first failing command); `capture` names variables to hand back. */
async function runShell(code: string, env: Record<string, string>, capture: string[] = []): Promise<{ stdout: string; vars: Record<string, string> }> {
  const script = `set -eo pipefail\n${code}\n${capture.map((name) => `printf '\\n::${name}=%s' "$${name}"`).join('\n')}\n`;
  const child = spawn('bash', ['-c', script], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => { stdout += c; });
  child.stderr.on('data', (c) => { stderr += c; });
  const status = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? -1)));
  assert.equal(status, 0, `the recipe failed (${status}): ${stderr}\n${code}`);
  const vars: Record<string, string> = {};
  for (const [, name, value] of stdout.matchAll(/\n::(\w+)=(.*)/g)) vars[name!] = value!;
  return { stdout: stdout.replace(/\n::\w+=.*/g, ''), vars };
}

/** The JSON documents a recipe printed, one a line (curl -s answers have no newline of their own). */
const jsonLines = (stdout: string): Record<string, unknown>[] => stdout.split(/(?<=})(?={)|\n/).filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

/** The member names a `# {...}` or `# payload {...}` comment of a recipe shows. */
const documentedMembers = (code: string, label: string) => [...(new RegExp(`^# ${label}\\s*\\{(.*)$`, 'm').exec(code)?.[1] ?? '').matchAll(/"(\w+)":/g)].map((m) => m[1]!);

/** Where the TypeScript recipes are written to run: inside the checkout, so they import its packages. */
const RECIPE_DIR = join(packageRoot, 'dist/doc-recipes');

/**
 * A TypeScript recipe as a module: the block exactly as the doc shows it, except for the
 * `substitutions` (each must occur in the block, so a changed recipe fails here rather than
 * running something else), with a `prelude` supplying what the recipe takes as given (its
 * inputs come from `globalThis.recipe`) and an `epilogue` exporting what the test inspects.
 * Node runs it as it is (type stripping); the type check runs tsc over all of them.
 */
function recipeModule(name: string, key: string, parts: { prelude?: string; substitutions?: Array<[string, string]>; epilogue?: string }): string {
  let code = docBlock(key).code;
  for (const [from, to] of parts.substitutions ?? []) {
    assert.ok(code.includes(from), `${key}: the recipe no longer contains ${from}`);
    code = code.split(from).join(to);
  }
  const file = join(RECIPE_DIR, `${name}.mts`);
  const prelude = `const recipe = (globalThis as unknown as { recipe: Record<string, any> }).recipe;\n${parts.prelude ?? ''}\n`;
  writeFileSync(file, `${prelude}// ---- ${key}\n${code}\n// ----\n${parts.epilogue ?? ''}\n`);
  return file;
}

/** Imports a recipe module with `inputs` as `globalThis.recipe`, keeping the servers it starts listening (to reach and close them). */
async function runRecipeModule<T>(file: string, inputs: Record<string, unknown>): Promise<{ exports: T; servers: Server[] }> {
  (globalThis as unknown as { recipe: Record<string, unknown> }).recipe = inputs;
  const servers: Server[] = [];
  const listen = Server.prototype.listen;
  Server.prototype.listen = function (this: Server, ...args: unknown[]) {
    servers.push(this);
    return (listen as (...a: unknown[]) => Server).apply(this, args);
  } as typeof listen;
  try {
    const exports = await import(pathToFileURL(file).href) as T;
    await Promise.all(servers.map((server) => (server.listening ? undefined : new Promise((resolve) => server.once('listening', resolve)))));
    return { exports, servers };
  } finally {
    Server.prototype.listen = listen;
  }
}

const origin = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

describe('every code recipe in README.md and docs/ is run or proven by the test suite', () => {
  it('each recipe block is in the table above, and each table entry names a block (no recipe is added or changed unseen)', () => {
    const recipes = docBlocks().filter((b) => RECIPE_LANGUAGES.has(b.lang) && b.lang !== 'python');
    const unknown = recipes.filter((b) => !RECIPES[b.key]).map((b) => `${b.file}:${b.line} ${b.key}`);
    assert.deepEqual(unknown, [], 'recipes no test accounts for: add them to RECIPES (runs, excerpt or notRun with why)');
    const keys = new Set(recipes.map((b) => b.key));
    assert.deepEqual(Object.keys(RECIPES).filter((k) => !keys.has(k)), [], 'table entries whose block is gone or changed its first line');
  });

  it('every Python block is an excerpt of an example in examples/python (which pytest runs against a real Gatehouse), every excerpt block of its example', () => {
    const sources = pythonSources();
    const python = docBlocks().filter((b) => b.lang === 'python');
    assert.ok(python.length >= 5, 'the Python section shows Flask, Django, FastAPI, introspection and migration');
    for (const block of python) assert.ok(sources.some((source) => isExcerptOf(block.code, source)), `${block.file}:${block.line} is not an excerpt of ${PYTHON_EXAMPLES}:\n${block.code}`);
    for (const [key, proof] of Object.entries(RECIPES)) {
      if ('excerpt' in proof) assert.ok(isExcerptOf(docBlock(key).code, readFileSync(join(packageRoot, proof.excerpt), 'utf8')), `${key} is not an excerpt of ${proof.excerpt}`);
    }
  });

  describe(`the shell recipes against a running Gatehouse with the example import (${mode})`, () => {
    let gh: TestGatehouse;
    let env: Record<string, string>;
    before(async () => {
      gh = await startTestGatehouse();
      env = { ISSUER: gh.issuer };
    });
    after(async () => gh?.stop());

    it('README: client credentials, introspection, revocation; the token has the claims the recipe shows', async () => {
      const block = docBlock('README.md: ISSUER=${ISSUER:-http://localhost:3000}');
      const [issued, active, inactive] = jsonLines((await runShell(block.code, env)).stdout);
      assert.deepEqual(Object.keys(issued!).sort(), documentedMembers(block.code, '').sort());
      assert.equal(issued!.scope, 'cases:read');
      const token = String(issued!.access_token);
      assert.deepEqual(Object.keys(decodeProtectedHeader(token)).sort(), documentedMembers(block.code, 'header ').sort());
      const payload = decodeJwt(token);
      for (const claim of documentedMembers(block.code, 'payload')) assert.ok(claim in payload, `the token has ${claim}`);
      assert.equal(payload.iss, gh.issuer);
      assert.equal(active!.active, true);
      assert.equal(active!.sub, 'cms-backend');
      assert.deepEqual(inactive, { active: false });
    });

    it('README: authorization code with PKCE (the person signs in between), then refresh', async () => {
      const block = docBlock('README.md: VERIFIER=$(openssl rand -base64 48 | tr -d \'=+/\\n\' | cut -c1-64)');
      const [start, rest] = block.code.split(/^# open it.*$/m);
      assert.ok(rest, 'the recipe has the person\'s step');
      const first = await runShell(start!, env, ['VERIFIER']);
      const callback = new URL(await loginAndConsent(first.stdout.trim(), portal.redirectUri, john));
      // The reader copies code=… and then the refresh token from what the token endpoint printed.
      const [exchange, refresh] = rest.split(/^(?=curl -s -u portal:s3cret-value-portal -d grant_type=refresh_token)/m);
      const tokens = jsonLines((await runShell(exchange!, { ...env, VERIFIER: first.vars.VERIFIER!, CODE: callback.searchParams.get('code')! })).stdout)[0]!;
      assert.deepEqual(Object.keys(tokens).sort(), documentedMembers(block.code, '').sort());
      assert.equal(tokens.scope, 'openid profile labs offline_access');
      const refreshed = jsonLines((await runShell(refresh!, { ...env, REFRESH: String(tokens.refresh_token) })).stdout)[0]!;
      assert.ok(refreshed.access_token && refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token, JSON.stringify(refreshed));
    });

    it('README: the management API (list, create, block, batch, the round-robin pool)', async () => {
      const block = docBlock('README.md: ISSUER=${ISSUER:-http://localhost:3000} #2');
      const [listed, , batch, pool] = jsonLines((await runShell(block.code, env)).stdout);
      assert.deepEqual(Object.keys(listed!).sort(), ['items', 'limit', 'offset', 'total']);
      assert.equal(listed!.limit, 50);
      assert.ok((listed!.items as Array<{ username: string }>).some((u) => u.username === 'john'));
      const { users, unknown } = batch as { users: Array<{ username: string; status: string }>; unknown: string[] };
      assert.deepEqual([users.map((u) => [u.username, u.status]), unknown], [[['ann', 'blocked']], []]);
      assert.ok(Array.isArray(pool!.items));
    });

    it('MANAGEMENT-API: a service calls the management API with its own client', async () => {
      const [listed] = jsonLines((await runShell(docBlock('docs/MANAGEMENT-API.md: TOKEN=$(curl -s -u ops-service:s3cret-value-ops-service -d grant_type=client_credentials \\').code, env)).stdout);
      assert.equal(listed!.limit, 20);
      assert.ok((listed!.items as unknown[]).length > 0);
    });

    it('TOKENS: token exchange by a service client, the result naming it in act', async () => {
      const created = await gh.gatehouse.services.clients.create({ actor: 'test' }, {
        clientId: 'cms-exchanger', grantTypes: [TOKEN_EXCHANGE_GRANT], resources: [CMS, TTS], resourceScopes: ['tickets:read'], tokenExchangeResources: [TTS],
      });
      const subject = (await userTokens(gh.issuer, { user: otto, scope: 'openid cases:read', resource: CMS })).access_token;
      const block = docBlock('docs/TOKENS.md: curl -s -u cms-exchanger:$SECRET \\');
      const [exchanged] = jsonLines((await runShell(block.code, { ...env, SECRET: created.clientSecret!, USER_ACCESS_TOKEN: subject })).stdout);
      assert.deepEqual(Object.keys(exchanged!).sort(), documentedMembers(block.code, '').sort());
      const claims = decodeJwt(String(exchanged!.access_token));
      assert.deepEqual([claims.aud, claims.scope, (claims.act as { sub?: string }).sub], [TTS, 'tickets:read', 'cms-exchanger']);
    });
  });

  describe(`the TypeScript recipes, type-checked and run against a running Gatehouse (${mode})`, () => {
    let gh: TestGatehouse;
    let johnAtCms: string;
    const servers: Server[] = [];
    const GATEHOUSE = "'https://id.example.org'";
    const ISSUER_INPUT = 'recipe.issuer';
    before(async () => {
      rmSync(RECIPE_DIR, { recursive: true, force: true });
      mkdirSync(RECIPE_DIR, { recursive: true });
      gh = await startTestGatehouse();
      johnAtCms = (await userTokens(gh.issuer, { scope: 'openid cases:read', resource: CMS, user: john })).access_token;
    });
    after(async () => {
      for (const server of servers) {
        server.closeAllConnections();
        server.close();
      }
      await gh?.stop();
    });

    const modules = () => ({
      verifier: recipeModule('verifier', "docs/INTEGRATION.md: import { createVerifier } from '@gatehouse/verifier';", {
        prelude: 'const token: string = recipe.token;',
        substitutions: [[GATEHOUSE, ISSUER_INPUT]],
        epilogue: 'export { claims };',
      }),
      koa: recipeModule('koa', "docs/INTEGRATION.md: import Koa from 'koa';", {
        prelude: [
          "import { createVerifier as recipeVerifier } from '@gatehouse/verifier';",
          "const verifier = recipeVerifier({ issuer: recipe.issuer, audience: 'https://cms.example' });",
          'const listCases = (labId: string) => ({ lab: labId, cases: [] as string[] });',
          'const closeCase = (ctx: { status: number }) => { ctx.status = 204; };',
          'const deleteCase = closeCase;',
        ].join('\n'),
        substitutions: [['.listen(3000)', '.listen(0)']],
      }),
      express: recipeModule('express', "docs/INTEGRATION.md: import express from 'express';", {
        prelude: [
          "import { createVerifier as recipeVerifier } from '@gatehouse/verifier';",
          "const verifier = recipeVerifier({ issuer: recipe.issuer, audience: 'https://cms.example' });",
          'const listCases = (labId: string) => ({ lab: labId, cases: [] as string[] });',
        ].join('\n'),
        substitutions: [['app.listen(3000)', 'app.listen(0)']],
      }),
      dpop: recipeModule('dpop', 'docs/INTEGRATION.md: export const verifier = createVerifier({', {
        prelude: [
          "import Koa from 'koa';",
          "import { createVerifier, koaAuth } from '@gatehouse/verifier';",
          // ioredis in servers mode; in embedded mode a Map with the same SET … EX … NX answer.
          "const redis: { set(key: string, value: string, ex: 'EX', ttl: number, nx: 'NX'): Promise<'OK' | null> } = recipe.redis;",
          'const app = new Koa();',
          'const token: string = recipe.token;',
          'const req: { method: string; headers: { dpop?: string } } = recipe.req;',
        ].join('\n'),
        substitutions: [[GATEHOUSE, ISSUER_INPUT]],
        epilogue: 'export { claims };',
      }),
      transitional: recipeModule('transitional', "docs/INTEGRATION.md: import { decodeProtectedHeader, jwtVerify } from 'jose';", {
        prelude: 'const metrics: { legacyTokensAccepted: { inc(): void } } = recipe.metrics;',
        substitutions: [[GATEHOUSE, ISSUER_INPUT]],
      }),
      serviceToken: recipeModule('service-token', 'docs/INTEGRATION.md: let cached: { token: string; until: number } | undefined;', {
        prelude: 'const ISSUER: string = recipe.issuer;\nconst CLIENT_ID: string = recipe.clientId;\nconst CLIENT_SECRET: string = recipe.clientSecret;',
      }),
      revocationFeed: recipeModule('revocation-feed', "docs/EVENTS.md: import { clientCredentialsToken, createRevocationFeed, createVerifier } from '@gatehouse/verifier';", {
        substitutions: [[`const issuer = ${GATEHOUSE};`, `const issuer: string = ${ISSUER_INPUT};`]],
        epilogue: 'export { feed, verifier };',
      }),
    });

    it('type-checks every TypeScript recipe (strict) against the packages it names', async function () {
      this.timeout(240_000);
      Object.values(modules());
      writeFileSync(join(RECIPE_DIR, 'tsconfig.json'), JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', skipLibCheck: true, allowImportingTsExtensions: true, types: ['node'], lib: ['es2022', 'dom'] },
        include: ['*.mts'],
      }));
      try {
        await promisify(execFile)(process.execPath, [join(packageRoot, 'node_modules/typescript/bin/tsc'), '-p', RECIPE_DIR], { cwd: packageRoot });
      } catch (error) {
        assert.fail(`the recipes do not type-check:\n${(error as { stdout?: string }).stdout ?? error}`);
      }
    });

    it('INTEGRATION: createVerifier and verify take a token for the service', async () => {
      process.env.CMS_API_SECRET = 'unused-here';
      const { exports } = await runRecipeModule<{ claims: GatehouseClaims }>(modules().verifier, { issuer: gh.issuer, token: johnAtCms });
      assert.equal(exports.claims.aud, CMS);
      assert.equal(exports.claims.sub, decodeJwt(johnAtCms).sub);
    });

    it('INTEGRATION: the Koa and Express services refuse a request without a token and serve one with it', async () => {
      for (const file of [modules().koa, modules().express]) {
        const started = await runRecipeModule(file, { issuer: gh.issuer });
        servers.push(...started.servers);
        assert.equal(started.servers.length, 1, file);
        const url = `${origin(started.servers[0]!)}/cases`;
        const refused = await fetch(url);
        assert.equal(refused.status, 401, file);
        assert.equal((await refused.json() as { error: string }).error, 'token_missing');
        const served = await fetch(url, { headers: { authorization: `Bearer ${johnAtCms}` } });
        assert.equal(served.status, 200, `${file}: ${await served.clone().text()}`);
        assert.deepEqual(await served.json(), { lab: decodeJwt(johnAtCms).lab_id, cases: [] });
      }
    });

    it('INTEGRATION: the DPoP recipe verifies a bound token with its proof, once (the shared replay check)', async () => {
      const key = await newDpopKey();
      const tokenUrl = `${gh.issuer}/token`;
      const form = { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' };
      let issued = await dpopTokenRequest(tokenUrl, form, backend, [await dpopProof(key, tokenUrl)]);
      const nonce = issued.headers.get('dpop-nonce');
      if (issued.status === 400 && nonce) issued = await dpopTokenRequest(tokenUrl, form, backend, [await dpopProof(key, tokenUrl, { nonce })]);
      assert.equal(issued.status, 200, JSON.stringify(issued.body));
      const token = String(issued.body.access_token);
      const seen = new Set<string>();
      const redis = process.env.REDIS_URL
        ? new (await import('ioredis')).Redis(process.env.REDIS_URL, { keyPrefix: `doc-recipes-${Date.now()}:` })
        : { set: async (k: string) => (seen.has(k) ? null : (seen.add(k), 'OK')) };
      try {
        const proof = await dpopProof(key, 'https://cms.example.org/cases', { htm: 'GET', accessToken: token });
        const inputs = { issuer: gh.issuer, redis, token, req: { method: 'GET', headers: { dpop: proof } } };
        const { exports } = await runRecipeModule<{ claims: GatehouseClaims }>(modules().dpop, inputs);
        assert.equal((exports.claims.cnf as { jkt: string }).jkt, key.jkt);
        // The same proof again, in a second copy of the module (a second instance of the service): refused.
        writeFileSync(modules().dpop.replace('.mts', '-again.mts'), readFileSync(modules().dpop));
        await assert.rejects(runRecipeModule(modules().dpop.replace('.mts', '-again.mts'), inputs), (error: Error & { code?: string }) => error.code === 'dpop_proof_invalid');
      } finally {
        if ('quit' in redis) await redis.quit();
      }
    });

    it('INTEGRATION: the transitional verifier takes Gatehouse tokens and legacy HS256 tokens, and refuses HS256 keyed with Gatehouse\'s public key', async () => {
      let legacyAccepted = 0;
      process.env.LEGACY_JWT_SECRET = 'a-legacy-shared-secret-of-the-old-services';
      (globalThis as unknown as { mapLegacyClaims: (p: Record<string, unknown>) => unknown }).mapLegacyClaims = (payload) => ({ sub: payload.sub, legacy: true });
      const { exports } = await runRecipeModule<{ transitionalVerifier: Verifier }>(modules().transitional, { issuer: gh.issuer, metrics: { legacyTokensAccepted: { inc: () => { legacyAccepted += 1; } } } });
      const verifier = exports.transitionalVerifier;
      assert.equal((await verifier.verify(johnAtCms)).aud, CMS);
      const legacy = await new SignJWT({ sub: 'u-1' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('cms-legacy').setExpirationTime('5m').sign(new TextEncoder().encode(process.env.LEGACY_JWT_SECRET));
      assert.deepEqual(await verifier.verify(legacy), { sub: 'u-1', legacy: true });
      assert.equal(legacyAccepted, 1);
      const jwks = await (await fetch(`${gh.issuer}/jwks`)).json() as { keys: unknown[] };
      const forged = await new SignJWT({ sub: 'u-1' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('cms-legacy').setExpirationTime('5m').sign(new TextEncoder().encode(JSON.stringify(jwks.keys[0])));
      await assert.rejects(verifier.verify(forged), (error: Error & { code?: string }) => error.code === 'token_invalid');
      assert.equal(legacyAccepted, 1);
    });

    it('INTEGRATION: serviceToken gets a client_credentials token for the callee and reuses it until shortly before it expires', async () => {
      const { exports } = await runRecipeModule<{ serviceToken: () => Promise<string> }>(modules().serviceToken, { issuer: gh.issuer, clientId: backend.id, clientSecret: backend.secret });
      const first = await exports.serviceToken();
      assert.equal(decodeJwt(first).aud, CMS);
      assert.equal(await exports.serviceToken(), first, 'cached');
    });

    it('EVENTS: the revocation feed makes the verifier refuse a revoked token without a call per request', async () => {
      const feedClient = await gh.gatehouse.services.clients.create({ actor: 'test' }, {
        clientId: 'cms-api', grantTypes: ['client_credentials'], resources: [`${gh.issuer}/api`], resourceScopes: ['events:read'],
      });
      process.env.CMS_API_SECRET = feedClient.clientSecret!;
      const { exports } = await runRecipeModule<{ feed: RevocationFeed; verifier: Verifier }>(modules().revocationFeed, { issuer: gh.issuer });
      try {
        const token = (await postForm(`${gh.issuer}/token`, { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }, backend)).body.access_token as string;
        assert.equal((await exports.verifier.verify(token)).aud, CMS);
        const revoked = await postForm(`${gh.issuer}/token/revocation`, { token }, backend);
        assert.equal(revoked.status, 200);
        await eventually(async () => exports.verifier.verify(token).then(() => undefined, (error: Error & { code?: string }) => (error.code === 'token_revoked' ? true : undefined)), { what: 'the revocation through the feed' });
      } finally {
        exports.feed.stop();
      }
    });
  });
});
