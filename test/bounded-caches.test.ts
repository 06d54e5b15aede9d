import { strict as assert } from 'node:assert';

import { createAdapterClass } from '../src/oidc/adapter.js';
import { createGrantRevoker } from '../src/oidc/grant-revoker.js';
import { createLookupCache } from '../src/oidc/lookup-cache.js';
import { createRevocationList } from '../src/oidc/revocation-list.js';
import { createRefreshReusePolicy } from '../src/oidc/refresh-reuse-policy.js';
import { systemClock } from '../src/domain/ports/clock.js';
import { backend, CMS, mode, postForm, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';

describe('lookup cache: bounded, expiring, coalescing', () => {
  it('never holds more than max answers, however many distinct keys are looked up', async () => {
    const cache = createLookupCache({ max: 100, ttlSeconds: 60 }, async (key) => key.length);
    let largest = 0;
    for (let i = 0; i < 5000; i += 1) {
      await cache.get(`unknown-${i}`);
      largest = Math.max(largest, cache.size);
    }
    assert.equal(largest, 100);
  });

  it('reuses an answer ("not found" included) until its TTL has passed, then looks up again', async () => {
    let lookups = 0;
    const cache = createLookupCache({ max: 10, ttlSeconds: 0.05 }, async () => { lookups += 1; return undefined; });
    await cache.get('missing');
    await cache.get('missing');
    assert.equal(lookups, 1);
    await new Promise((r) => setTimeout(r, 80));
    await cache.get('missing');
    assert.equal(lookups, 2);
  });

  it('with a TTL of 0 looks up every time and holds nothing', async () => {
    let lookups = 0;
    const cache = createLookupCache({ max: 10, ttlSeconds: 0 }, async () => { lookups += 1; return 'x'; });
    await cache.get('a');
    await cache.get('a');
    assert.equal(lookups, 2);
    assert.equal(cache.size, 0);
  });

  it('shares one lookup among concurrent callers and does not remember a failure', async () => {
    let lookups = 0;
    const cache = createLookupCache({ max: 10, ttlSeconds: 60 }, async () => {
      lookups += 1;
      if (lookups === 1) throw new Error('database away');
      return 'back';
    });
    const results = await Promise.allSettled([cache.get('k'), cache.get('k'), cache.get('k')]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected', 'rejected']);
    assert.equal(lookups, 1);
    await new Promise((r) => setImmediate(r));
    assert.equal(await cache.get('k'), 'back');
    assert.equal(lookups, 2);
  });
});

describe(`unknown client_ids cannot grow a node's memory (${mode})`, () => {
  let gh: TestGatehouse;
  before(async () => {
    gh = await startTestGatehouse({ GATEHOUSE_CACHE_MAX_ENTRIES: '50' });
  });
  after(async () => gh?.stop());

  it('the adapter keeps at most max clients however many unknown client_ids are looked up, and still finds known ones', async () => {
    const { repos, store } = gh.gatehouse.storage;
    const refreshReuse = createRefreshReusePolicy({ store, payloads: repos.payloads, clock: systemClock, graceSeconds: 0, retrySeconds: 0, onError: () => {} });
    const Adapter = createAdapterClass({
      payloads: repos.payloads, clients: repos.clients, store, refreshReuse,
      grants: createGrantRevoker({ payloads: repos.payloads, revocations: createRevocationList({ repository: repos.revocations, store }) }),
      clientCache: { max: 200, ttlSeconds: 60 },
    });
    const clients = new Adapter('Client');
    let largest = 0;
    for (let i = 0; i < 2000; i += 1) {
      assert.equal(await clients.find(`attacker-${i}`), undefined);
      largest = Math.max(largest, Adapter.cachedClients);
    }
    assert.equal(largest, 200);
    assert.equal((await clients.find(backend.id))?.client_id, backend.id);
  });

  it('the token endpoint refuses unknown client_ids and still serves a known client once they evicted it', async () => {
    assert.equal((await postForm(`${gh.issuer}/token`, { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }, backend)).status, 200);
    for (let i = 0; i < 200; i += 1) {
      const { status, body } = await postForm(`${gh.issuer}/token`, { grant_type: 'client_credentials', resource: CMS }, { id: `attacker-${i}`, secret: 'guess' });
      assert.equal(status, 401);
      assert.equal(body.error, 'invalid_client');
    }
    assert.equal((await postForm(`${gh.issuer}/token`, { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }, backend)).status, 200);
  });
});
