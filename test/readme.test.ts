import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { loadConfig, settingsTable } from '../src/config/load-config.js';
import { packageRoot } from '../src/config/paths.js';
import { startTestGatehouse, type TestGatehouse } from './helpers/harness.js';

/** The ```sh blocks of a Markdown text that talk to a running Gatehouse (they use $ISSUER). */
const shellExamples = (markdown: string) => [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((block) => block.includes('$ISSUER'));

describe('README stays true', () => {
  const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');

  it('its configuration table is the one generated from the settings schema', () => {
    const between = readme.split('<!-- settings-table:start')[1]!.split('<!-- settings-table:end')[0]!;
    assert.equal(between.slice(between.indexOf('\n') + 1).trim(), settingsTable());
  });

  it('config/gatehouse.example.json is a valid settings file', () => {
    const config = loadConfig({ GATEHOUSE_CONFIG: join(packageRoot, 'config/gatehouse.example.json') });
    assert.equal(config.issuer, 'https://id.example.com');
  });

  describe('its curl examples run against a Gatehouse on another port than 3000', () => {
    let gh: TestGatehouse;
    before(async () => {
      gh = await startTestGatehouse();
      assert.notEqual(new URL(gh.issuer).port, '3000');
    });
    after(async () => gh?.stop());

    // Asynchronously: the server answering the commands runs in this process.
    const run = async (block: string) => {
      const { stdout } = await promisify(execFile)('bash', ['-eu', '-o', 'pipefail', '-c', block], { env: { PATH: process.env.PATH, ISSUER: gh.issuer }, encoding: 'utf8', timeout: 30_000 });
      return stdout;
    };
    const examples = shellExamples(readme);
    // The browser flow needs a person to sign in; the other examples run as written.
    const runnable = examples.filter((block) => !block.includes('$CODE'));

    it('they are found: the worked example and the management API', () => {
      assert.equal(runnable.length, 2);
    });

    it('the worked example: a token is issued, introspects active, is revoked, introspects inactive', async () => {
      const output = await run(runnable[0]!);
      assert.match(output, /"access_token":"eyJ/);
      assert.match(output, /"active":true[\s\S]*\{"active":false\}/);
    });

    it('the management API example: lists john, creates ann, blocks her, finds her by id', async () => {
      const output = await run(runnable[1]!);
      assert.match(output, /"username":"john"/);
      assert.match(output, /"username":"ann"[\s\S]*"status":"blocked"/);
      assert.doesNotMatch(output, /"status":4\d\d/, output);
    });
  });
});
