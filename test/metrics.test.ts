import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { packageRoot } from '../src/config/paths.js';

import { backend, CMS, mode, portal, postForm, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { eventually } from './helpers/eventually.js';
import { FormBrowser, loginAndConsent } from './helpers/form-login.js';
import { api, opsService, serviceToken } from './helpers/management-api.js';

const TOKEN = 'metrics-scraper-token-0123456789';

interface Sample { name: string; labels: Record<string, string>; value: number | null }

/** Parses the exposition with the Prometheus project's own Python parser (Debian's python3-prometheus-client). */
function parse(text: string): Sample[] {
  const script = [
    'import json, sys',
    'from prometheus_client.parser import text_string_to_metric_families',
    'import math',
    'print(json.dumps([{"name": s.name, "labels": s.labels, "value": None if math.isnan(s.value) else s.value} for f in text_string_to_metric_families(sys.stdin.read()) for s in f.samples]))',
  ].join('\n');
  const result = spawnSync('/usr/bin/python3', ['-c', script], { input: text, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as Sample[];
}

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) => samples
  .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  .reduce((sum, s) => sum + (s.value ?? 0), 0);

describe(`Prometheus metrics (${mode})`, () => {
  let gh: TestGatehouse;
  before(async () => {
    gh = await startTestGatehouse({ GATEHOUSE_METRICS_PORT: '0', GATEHOUSE_METRICS_TOKEN: TOKEN, GATEHOUSE_EVENTS_POLL_MS: '50' });
  });
  after(async () => gh?.stop());

  const scrape = async () => {
    const response = await fetch(gh.gatehouse.metricsUrl!);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    return parse(await response.text());
  };

  it('serves /metrics on its own port, and on the public port only to the bearer of the metrics token', async () => {
    assert.equal((await fetch(`${gh.issuer}/metrics`)).status, 404);
    assert.equal((await fetch(`${gh.issuer}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789abc' } })).status, 404);
    const authorised = await fetch(`${gh.issuer}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(authorised.status, 200);
    assert.ok(parse(await authorised.text()).some((s) => s.name === 'gatehouse_process_resident_memory_bytes'), 'process metrics');
  });

  it('counts requests by route, tokens by grant type and client, introspections by answer, logins by outcome; storage and pool are measured', async () => {
    const before = await scrape();
    const issued = await postForm(`${gh.issuer}/token`, { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }, backend);
    assert.equal(issued.status, 200);
    await postForm(`${gh.issuer}/token/introspection`, { token: String(issued.body.access_token) }, backend);
    // A failed sign-in, then a successful one.
    const url = `${gh.issuer}/auth?${new URLSearchParams({ client_id: portal.id, response_type: 'code', redirect_uri: portal.redirectUri, scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' })}`;
    const browser = new FormBrowser(portal.redirectUri);
    const page = await browser.go(url);
    await browser.submit(page, '/login', { login: 'john', password: 'not the password at all' });
    await loginAndConsent(url, portal.redirectUri, { username: 'john', password: 'pass123-long-enough' });

    const after = await scrape();
    const moved = (name: string, labels: Record<string, string> = {}) => value(after, name, labels) - value(before, name, labels);
    assert.equal(moved('gatehouse_tokens_issued_total', { grant_type: 'client_credentials', client_id: backend.id }), 1);
    assert.equal(moved('gatehouse_introspections_total', { active: 'true' }), 1);
    assert.equal(moved('gatehouse_logins_total', { outcome: 'failure' }), 1);
    assert.equal(moved('gatehouse_logins_total', { outcome: 'success' }), 1);
    assert.ok(moved('gatehouse_http_requests_total', { route: 'token', method: 'POST', status: '200' }) >= 1);
    assert.ok(moved('gatehouse_http_request_duration_seconds_count', { route: 'introspection' }) >= 1);
    assert.ok(moved('gatehouse_storage_operation_duration_seconds_count', { backend: 'postgres' }) > 0, 'database calls are timed');
    assert.ok(after.some((s) => s.name === 'gatehouse_db_pool_connections' && s.labels.state === 'max'), 'pool saturation');
    // Labels come from fixed sets: a raw path never becomes a series.
    await fetch(`${gh.issuer}/no/such/path/${Math.random()}`);
    assert.ok(!(await scrape()).some((s) => (s.labels.route ?? '').includes('no/such')));
  });

  it('counts events relayed per relay and webhook deliveries by outcome, and shows each relay\'s lag', async () => {
    const before = await scrape();
    const ops = await serviceToken(gh.issuer, opsService, 'labs:write');
    const relayed = async (than: Sample[]) => eventually(async () => {
      const samples = await scrape();
      return value(samples, 'gatehouse_events_relayed_total', { relay: 'webhooks' }) > value(than, 'gatehouse_events_relayed_total', { relay: 'webhooks' }) ? samples : undefined;
    }, { what: 'an event relayed' });
    assert.equal((await api(gh.issuer, ops, 'POST', '/labs', { id: 'lab-metrics', name: 'Metrics' })).status, 201);
    const caughtUp = await relayed(before);
    assert.equal(value(caughtUp, 'gatehouse_event_relay_lag_seconds', { relay: 'webhooks' }), 0, 'caught up');
    if (mode === 'servers') {
      // The webhook relay's cursor held by another transaction: the relay skips it, the new event waits, and the lag shows it.
      await gh.gatehouse.storage.db.transaction(async (trx) => {
        await trx('relay_cursors').where({ name: 'webhooks' }).forUpdate().first();
        assert.equal((await api(gh.issuer, ops, 'PATCH', '/labs/lab-metrics', { name: 'Metrics 2' })).status, 200);
        await new Promise((r) => setTimeout(r, 200));
        assert.ok(value(await scrape(), 'gatehouse_event_relay_lag_seconds', { relay: 'webhooks' }) >= 0.2, 'the lag is the age of the waiting event');
      });
      await relayed(caughtUp);
    }
    const text = await (await fetch(gh.gatehouse.metricsUrl!)).text();
    assert.match(text, /^# TYPE gatehouse_webhook_deliveries_total counter$/m);
  });

  it('the Grafana dashboard beside docker-compose.yml queries only metrics Gatehouse exports', async () => {
    const dashboard = readFileSync(join(packageRoot, 'config/grafana-dashboard.json'), 'utf8');
    const used = new Set([...dashboard.matchAll(/gatehouse_[a-z0-9_]+/g)].map(([name]) => name));
    const text = await (await fetch(gh.gatehouse.metricsUrl!)).text();
    // Declared families (a labelled counter with no sample yet still has its TYPE line), and samples.
    const exported = new Set([...text.matchAll(/^# TYPE (\S+)/gm)].map(([, name]) => name!));
    for (const sample of parse(text)) exported.add(sample.name);
    const unknown = [...used].filter((name) => !exported.has(name) && !exported.has(name.replace(/_total$/, '')));
    assert.deepEqual(unknown, []);
  });
});
