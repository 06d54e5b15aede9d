import { strict as assert } from 'node:assert';

import { clientCredentialsToken, createRevocationFeed, createVerifier, VerifierError, type RevocationFeed } from '@gatehouse/verifier';

import { CMS, john, mode, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { api, opsService, serviceToken } from './helpers/management-api.js';
import { introspect, refresh, revoke, userTokens } from './helpers/user-tokens.js';

/** Verifies until the verifier refuses the token; answers the error and how long it took. */
async function refusedWithin(check: () => Promise<unknown>, timeoutMs: number): Promise<{ error: VerifierError; ms: number }> {
  const started = Date.now();
  for (;;) {
    try {
      await check();
    } catch (error) {
      if (error instanceof VerifierError) return { error, ms: Date.now() - started };
      throw error;
    }
    if (Date.now() - started > timeoutMs) throw new Error(`still accepted after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe(`offline verification honours revocation through the event feed (${mode})`, () => {
  let gh: TestGatehouse;
  let feed: RevocationFeed;
  let ops: string;
  before(async () => {
    gh = await startTestGatehouse({ GATEHOUSE_EVENTS_POLL_MS: '50' });
    ops = await serviceToken(gh.issuer, opsService, 'users:read users:write');
    feed = createRevocationFeed({
      issuer: gh.issuer,
      accessToken: clientCredentialsToken({ issuer: gh.issuer, clientId: opsService.id, clientSecret: opsService.secret, resource: `${gh.issuer}/api`, scope: 'events:read' }),
      pollIntervalMs: 200,
      maxTokenLifetimeSeconds: 3600,
    });
    await feed.start();
  });
  after(async () => {
    feed?.stop();
    await gh?.stop();
  });

  it('a revoked access token, then a blocked user\'s tokens, are refused offline within 5 seconds, with no call per request', async () => {
    const verifier = createVerifier({ issuer: gh.issuer, audience: CMS, revocations: { feed } });
    const first = await userTokens(gh.issuer, { scope: 'openid offline_access cases:read', resource: CMS });
    const second = await userTokens(gh.issuer, { scope: 'openid offline_access cases:read', resource: CMS });
    assert.equal((await verifier.verify(first.access_token)).sub.length > 0, true);

    await revoke(gh.issuer, first.access_token);
    const revoked = await refusedWithin(() => verifier.verify(first.access_token), 5000);
    assert.equal(revoked.error.code, 'token_revoked');
    assert.equal(revoked.error.status, 401);
    await verifier.verify(second.access_token);

    const found = await api(gh.issuer, ops, 'GET', `/users?q=${john.username}`);
    const userId = found.body.items.find((u: { username: string }) => u.username === john.username).id;
    assert.equal((await api(gh.issuer, ops, 'POST', `/users/${userId}/block`, { reason: 'offboarded' })).status, 200);
    const blocked = await refusedWithin(() => verifier.verify(second.access_token), 5000);
    assert.equal(blocked.error.code, 'token_revoked');
    console.log(`      (refused ${revoked.ms} ms after revocation, ${blocked.ms} ms after the block)`);
    assert.equal((await api(gh.issuer, ops, 'POST', `/users/${userId}/restore`)).status, 200);
    // Restoring brings nothing back; a token issued after the restore is accepted.
    await assert.rejects(verifier.verify(second.access_token), { code: 'token_revoked' });
    await new Promise((r) => setTimeout(r, 1100));
    const fresh = await userTokens(gh.issuer, { scope: 'openid cases:read', resource: CMS });
    await verifier.verify(fresh.access_token);
  });

  it('revoking one access token refuses the other tokens of its grant offline too (the grant ends with it)', async () => {
    const verifier = createVerifier({ issuer: gh.issuer, audience: CMS, revocations: { feed } });
    const tokens = await userTokens(gh.issuer, { scope: 'openid offline_access cases:read', resource: CMS });
    const sibling = String((await refresh(gh.issuer, tokens.refresh_token!, { resource: CMS })).body.access_token);
    await verifier.verify(sibling);
    await revoke(gh.issuer, tokens.access_token);
    const { error } = await refusedWithin(() => verifier.verify(sibling), 5000);
    assert.equal(error.code, 'token_revoked');
  });

  it('a copy gone stale fails closed (503), or falls back to introspection when configured', async () => {
    let reachable = true;
    const flaky = createRevocationFeed({
      issuer: gh.issuer,
      accessToken: clientCredentialsToken({ issuer: gh.issuer, clientId: opsService.id, clientSecret: opsService.secret, resource: `${gh.issuer}/api`, scope: 'events:read' }),
      pollIntervalMs: 50,
      staleAfterMs: 300,
      fetch: (input, init) => (reachable ? fetch(input, init) : Promise.reject(new Error('unreachable'))),
    });
    await flaky.start();
    try {
      const tokens = await userTokens(gh.issuer, { scope: 'openid cases:read', resource: CMS });
      const failing = createVerifier({ issuer: gh.issuer, audience: CMS, revocations: { feed: flaky } });
      const falling = createVerifier({
        issuer: gh.issuer, audience: CMS, revocations: { feed: flaky, whenStale: 'introspect' }, introspection: { clientId: 'cms-backend', clientSecret: 's3cret-value-backend', cacheMs: 0 },
      });
      await failing.verify(tokens.access_token);
      reachable = false;
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(flaky.stale, true);
      await assert.rejects(failing.verify(tokens.access_token), (e: VerifierError) => e.code === 'revocations_unavailable' && e.status === 503);
      await falling.verify(tokens.access_token);
      await revoke(gh.issuer, tokens.access_token);
      await assert.rejects(falling.verify(tokens.access_token), { code: 'token_revoked' });
      reachable = true;
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(flaky.stale, false);
    } finally {
      flaky.stop();
    }
  });
});

describe(`introspection answers the present (${mode})`, () => {
  let gh: TestGatehouse;
  before(async () => { gh = await startTestGatehouse(); });
  after(async () => gh?.stop());

  it('a role withdrawn after issue is absent from the introspection answer at once; the token stays active', async () => {
    const ops = await serviceToken(gh.issuer, opsService, 'users:read users:write');
    const userId = (await api(gh.issuer, ops, 'GET', `/users?q=${john.username}`)).body.items.find((u: { username: string }) => u.username === john.username).id;
    assert.equal((await api(gh.issuer, ops, 'POST', `/users/${userId}/roles`, { resource: CMS, role: 'manager' })).status, 201);
    const tokens = await userTokens(gh.issuer, { scope: 'openid cases:read', resource: CMS });
    assert.deepEqual((await introspect(gh.issuer, tokens.access_token)).roles, ['manager', 'technician']);
    assert.equal((await api(gh.issuer, ops, 'DELETE', `/users/${userId}/roles?resource=${encodeURIComponent(CMS)}&role=manager`)).status, 204);
    const now = await introspect(gh.issuer, tokens.access_token);
    assert.equal(now.active, true);
    assert.deepEqual(now.roles, ['technician']);
  });
});
