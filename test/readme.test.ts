import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { loadConfig, settingsTable } from '../src/config/load-config.js';
import { packageRoot } from '../src/config/paths.js';

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
});
