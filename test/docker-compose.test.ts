import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { packageRoot } from '../src/config/paths.js';

/** docker-compose.yml as data (no Docker engine here: Debian's python3-yaml reads it). */
function compose(): { keys: string[]; services: Record<string, Record<string, unknown>>; configs: Record<string, unknown> } {
  const script = 'import json, sys, yaml; d = yaml.safe_load(open(sys.argv[1])); print(json.dumps({"keys": list(d), "services": d.get("services", {}), "configs": d.get("configs", {})}))';
  const result = spawnSync('/usr/bin/python3', ['-c', script, join(packageRoot, 'docker-compose.yml')], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout);
}

describe('docker-compose.yml', () => {
  it('has only Compose\'s top-level keys, every service has an image, and configs hold only content', () => {
    const file = compose();
    const allowed = new Set(['name', 'services', 'volumes', 'configs', 'networks', 'secrets']);
    assert.deepEqual(file.keys.filter((k) => !allowed.has(k) && !k.startsWith('x-')), []);
    for (const [name, service] of Object.entries(file.services)) assert.ok(service.image ?? service.build, `${name} has an image`);
    for (const [name, config] of Object.entries(file.configs)) assert.deepEqual(Object.keys(config as object), ['content'], `config ${name}`);
    assert.ok(file.services.prometheus && file.services.grafana, 'the observability profile\'s services');
  });
});
