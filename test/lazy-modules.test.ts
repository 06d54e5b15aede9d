import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { askProbe, PROBE_PRELOAD } from '../bench/probe-report.js';
import { packageRoot } from '../src/config/paths.js';
import { backend, CMS, createSandbox, mode, portal, postForm, spawnGatehouse, type Sandbox } from './helpers/harness.js';

/**
 * Libraries only some features use are loaded by their first use (docs/PERFORMANCE.md, "Memory"):
 * a node serving tokens keeps them out of its heap. A static import added anywhere on the way
 * from src/main.ts would load them again at start, unnoticed by every other test.
 */
const LAZY_PACKAGES = ['@simplewebauthn/server', '@zxcvbn-ts/language-common', 'qrcode', 'nodemailer', 'amqplib'];

const fixture = JSON.parse(readFileSync(join(packageRoot, 'test/fixtures/import.json'), 'utf8')) as Record<string, Array<Record<string, unknown>>>;

describe(`lazily loaded libraries (${mode})`, () => {
  let sandbox: Sandbox;
  before(async () => { sandbox = await createSandbox(); });
  after(async () => { await sandbox.dispose(); });

  it('a node that starts and serves client_credentials tokens and introspection loads none of them', async () => {
    // The fixture's resources and clients without its users: setting a password loads the common-password list.
    const importFile = join(sandbox.dir, 'import.json');
    writeFileSync(importFile, JSON.stringify({ resources: fixture.resources, clients: fixture.clients, labs: fixture.labs }));
    const probeOut = join(sandbox.dir, 'probe.json');
    // The probe that bench/live-heap.ts uses records every module the server loads.
    const server = await spawnGatehouse({
      ...sandbox.env, GATEHOUSE_IMPORT: importFile, LIVE_HEAP_PROBE_OUT: probeOut, NODE_OPTIONS: `--import=${PROBE_PRELOAD}`,
      SMTP_URL: 'smtp://127.0.0.1:1',
    });
    let modules: string[];
    try {
      const issued = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }, backend);
      assert.equal(issued.status, 200, JSON.stringify(issued.body));
      const introspected = await postForm(`${server.url}/token/introspection`, { token: String(issued.body.access_token) }, portal);
      assert.equal(introspected.body.active, true);
      ({ modules } = await askProbe(server.process, probeOut, server.output));
    } finally {
      await server.stop();
    }
    assert.ok(modules.some((url) => url.includes('/node_modules/oidc-provider/')), 'the recorder saw the server load');
    assert.deepEqual(LAZY_PACKAGES.filter((name) => modules.some((url) => url.includes(`/node_modules/${name}/`))), []);
  });
});
