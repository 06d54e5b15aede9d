import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { packageRoot } from '../src/config/paths.js';

type Service = Record<string, unknown> & {
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  deploy?: { replicas?: unknown };
  depends_on?: Record<string, { condition: string }> | string[];
  container_name?: string;
  ports?: string[];
  configs?: Array<{ source: string }>;
};

/** A YAML file as data (no Docker engine here: Debian's python3-yaml reads it). */
function yaml<T>(file: string): T {
  const script = 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))';
  const result = spawnSync('/usr/bin/python3', ['-c', script, join(packageRoot, file)], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as T;
}

const compose = () => yaml<{ services: Record<string, Service>; configs: Record<string, { content: string }> } & Record<string, unknown>>('docker-compose.yml');

describe('docker-compose.yml', () => {
  it('has only Compose\'s top-level keys, every service has an image, and configs hold only content', () => {
    const file = compose();
    const allowed = new Set(['name', 'services', 'volumes', 'configs', 'networks', 'secrets']);
    assert.deepEqual(Object.keys(file).filter((k) => !allowed.has(k) && !k.startsWith('x-')), []);
    for (const [name, service] of Object.entries(file.services)) assert.ok(service.image ?? service.build, `${name} has an image`);
    for (const [name, config] of Object.entries(file.configs)) assert.deepEqual(Object.keys(config as object), ['content'], `config ${name}`);
    assert.ok(file.services.prometheus && file.services.grafana, 'the observability profile\'s services');
  });

  it('scales out: one gatehouse service with N replicas (GATEHOUSE_REPLICAS), nothing that pins one container', () => {
    const { services } = compose();
    const gatehouse = services.gatehouse!;
    assert.equal(gatehouse.deploy?.replicas, '${GATEHOUSE_REPLICAS:-2}');
    assert.equal(gatehouse.container_name, undefined, 'a fixed name would forbid a second replica');
    assert.equal(gatehouse.ports, undefined, 'published ports would collide between replicas; nginx is the edge');
    assert.deepEqual(Object.keys(services).filter((name) => /^gatehouse-\d/.test(name)), [], 'no numbered replicas left');
  });

  it('the proxy sends requests to every replica of the service and waits for them to be healthy', () => {
    const { services, configs } = compose();
    const upstream = /upstream gatehouse \{([\s\S]*?)\}/.exec(configs['nginx-conf']!.content)![1]!;
    assert.match(upstream, /server gatehouse:3000 resolve/);
    assert.match(upstream, /zone /, 'resolve needs a shared zone');
    assert.deepEqual(services.lb!.depends_on, { gatehouse: { condition: 'service_healthy' } });
    assert.ok(services.lb!.healthcheck, 'the proxy has a healthcheck too');
  });

  it('healthchecks: the replicas are checked on /readyz (degraded still counts as serving), the backends on their own', () => {
    const { services } = compose();
    assert.match(services.gatehouse!.healthcheck!.test.join(' '), /\/readyz/);
    for (const name of ['postgres', 'redis']) assert.ok(services[name]!.healthcheck, `${name} has a healthcheck`);
    const dependsOn = services.gatehouse!.depends_on as Record<string, { condition: string }>;
    assert.deepEqual(dependsOn['gatehouse-init'], { condition: 'service_completed_successfully' });
  });

  it('the metrics scrape finds every replica: Prometheus resolves the service name on the metrics port', () => {
    const { services } = compose();
    const env = (compose() as unknown as Record<string, Record<string, string>>)['x-gatehouse-environment']!;
    assert.equal(env.GATEHOUSE_METRICS_PORT, '9464');
    assert.equal(env.GATEHOUSE_METRICS_HOST, '0.0.0.0');
    assert.ok((services.gatehouse as { expose?: string[] }).expose?.includes('9464'));
    const prometheus = yaml<{ scrape_configs: Array<{ job_name: string; dns_sd_configs?: Array<{ names: string[]; type: string; port: number }> }> }>('config/prometheus.yml');
    const job = prometheus.scrape_configs.find((c) => c.job_name === 'gatehouse')!;
    assert.deepEqual(job.dns_sd_configs?.[0], { names: ['gatehouse'], type: 'A', port: 9464, refresh_interval: '15s' });
    assert.deepEqual(services.prometheus!.depends_on, ['gatehouse']);
  });
});
