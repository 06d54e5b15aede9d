import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('../../', import.meta.url));

// A parent `npm test` exports npm_config_* (its prefix, its workspace); the npm runs here must not
// inherit them, or they would act on the repository instead of the temp directory.
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')));
const npm = (args: string[], cwd: string) => run('npm', args, { cwd, env, maxBuffer: 16 * 1024 * 1024 });

describe('@gatehouse/verifier as a published package', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-verifier-pack-'));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('packs the built library and its sources but no tests, and installs into an empty project with jose as its only dependency', async function () {
    this.timeout(120_000);
    // The tests run from dist/, so the library is built: skip prepack's rebuild.
    const { stdout } = await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', dir], packageDir);
    const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const paths = packed!.files.map((file) => file.path);
    assert.ok(paths.includes('dist/src/index.js') && paths.includes('dist/src/index.d.ts'), paths.join(', '));
    // Built files, and the sources their maps point to; no tests.
    assert.deepEqual(paths.filter((path) => !/^(dist\/src\/.+\.(js|d\.ts|js\.map)|src\/.+\.ts)$/.test(path)).sort(), ['README.md', 'package.json']);

    const app = join(dir, 'app');
    await mkdir(app);
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    await npm(['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', join(dir, packed!.filename)], app);

    const installed = (await readdir(join(app, 'node_modules'))).filter((name) => !name.startsWith('.'));
    assert.deepEqual(installed.sort(), ['@gatehouse', 'jose']);
    assert.deepEqual(await readdir(join(app, 'node_modules/@gatehouse')), ['verifier']);
    const manifest = JSON.parse(await readFile(join(app, 'node_modules/@gatehouse/verifier/package.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(manifest.dependencies as object), ['jose']);
    for (const field of ['peerDependencies', 'optionalDependencies', 'bundleDependencies']) assert.equal(manifest[field], undefined, field);

    const probe = "const m = await import('@gatehouse/verifier'); const v = m.createVerifier({ issuer: 'https://id.example.org', audience: 'https://cms.example' }); console.log(JSON.stringify([Object.keys(m).sort(), v.audience]));";
    const { stdout: exported } = await run(process.execPath, ['--input-type=module', '-e', probe], { cwd: app, env });
    assert.deepEqual(JSON.parse(exported), [
      ['VerifierError', 'clientCredentialsToken', 'createRevocationFeed', 'createVerifier', 'expressAuth', 'expressProtectedResource', 'expressRequire', 'koaAuth', 'koaProtectedResource', 'koaRequire', 'protectedResource', 'requireAcr', 'requireActive', 'requireAmr', 'requireLab', 'requireRole', 'requireScope'],
      'https://cms.example',
    ]);
  });
});
