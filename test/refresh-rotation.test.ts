import { strict as assert } from 'node:assert';

import { backend, CMS, mode, postForm, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { flushStore } from './helpers/redis-flush.js';
import { introspect, refresh, userTokens } from './helpers/user-tokens.js';

describe(`refresh token rotation and reuse detection, retries off (${mode})`, () => {
  let gh: TestGatehouse;
  before(async () => {
    gh = await startTestGatehouse({ GATEHOUSE_REFRESH_RETRY_SECONDS: '0' });
  });
  after(async () => gh?.stop());

  it('rotates on every use and rejects the old token', async () => {
    const first = await userTokens(gh.issuer);
    const second = await refresh(gh.issuer, first.refresh_token!);
    assert.equal(second.status, 200);
    assert.ok(second.body.refresh_token);
    assert.notEqual(second.body.refresh_token, first.refresh_token);
    const replay = await refresh(gh.issuer, first.refresh_token!);
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error, 'invalid_grant');
  });

  it('reuse of a consumed refresh token revokes the whole grant, JWT access tokens included', async () => {
    const first = await userTokens(gh.issuer, { resource: CMS, scope: 'openid offline_access cases:read' });
    const second = await refresh(gh.issuer, first.refresh_token!);
    assert.equal(second.status, 200);
    const latestAccess = String(second.body.access_token);
    assert.equal((await introspect(gh.issuer, latestAccess)).active, true);

    assert.equal((await refresh(gh.issuer, first.refresh_token!)).status, 400, 'the replay itself fails');
    const afterTheft = await refresh(gh.issuer, String(second.body.refresh_token));
    assert.equal(afterTheft.status, 400, 'the legitimate latest refresh token is revoked with the grant');
    assert.equal(afterTheft.body.error, 'invalid_grant');
    assert.equal((await introspect(gh.issuer, latestAccess)).active, false, 'JWT access tokens of the grant die too');
    assert.equal((await introspect(gh.issuer, first.access_token)).active, false);
  });

  it('10 concurrent refreshes with one token yield exactly one new token pair', async () => {
    const first = await userTokens(gh.issuer);
    const results = await Promise.all(Array.from({ length: 10 }, () => refresh(gh.issuer, first.refresh_token!)));
    const ok = results.filter((r) => r.status === 200);
    assert.equal(ok.length, 1, `statuses: ${results.map((r) => r.status).join(',')}`);
    for (const failed of results.filter((r) => r.status !== 200)) {
      assert.equal(failed.status, 400);
      assert.equal(failed.body.error, 'invalid_grant');
    }
    // Whether the winner's pair also survives depends on timing: a duplicate the server reads
    // only after the winning refresh has answered is a replay by definition, and revokes.
  });

  it('a refresh that fails on the server after consuming its token gives the token back: the retry works, no theft is assumed', async () => {
    const first = await userTokens(gh.issuer, { resource: CMS, scope: 'openid offline_access cases:read' });
    const db = gh.gatehouse.storage.db;
    // Access-token claims read resource_roles after the refresh token was consumed.
    await db.raw('ALTER TABLE resource_roles RENAME TO resource_roles_away');
    let failed;
    try {
      failed = await refresh(gh.issuer, first.refresh_token!);
    } finally {
      await db.raw('ALTER TABLE resource_roles_away RENAME TO resource_roles');
    }
    assert.ok(failed.status >= 500, `expected a server error, got ${failed.status}`);
    const retried = await refresh(gh.issuer, first.refresh_token!);
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal((await introspect(gh.issuer, String(retried.body.access_token))).active, true);
  });

  it('after a Redis flush the latest refresh token still works', async () => {
    const first = await userTokens(gh.issuer);
    const second = await refresh(gh.issuer, first.refresh_token!);
    await flushStore(gh);
    const third = await refresh(gh.issuer, String(second.body.refresh_token));
    assert.equal(third.status, 200, JSON.stringify(third.body));
    assert.equal((await introspect(gh.issuer, String(third.body.refresh_token))).active, true);
  });
});

describe(`refresh token reuse grace window (${mode})`, () => {
  let gh: TestGatehouse;
  before(async () => {
    gh = await startTestGatehouse({ GATEHOUSE_REFRESH_REUSE_GRACE_SECONDS: '30', GATEHOUSE_REFRESH_RETRY_SECONDS: '0' });
  });
  after(async () => gh?.stop());

  it('refuses a double submit inside the window without revoking the grant', async () => {
    const first = await userTokens(gh.issuer);
    const second = await refresh(gh.issuer, first.refresh_token!);
    assert.equal(second.status, 200);
    const doubleSubmit = await refresh(gh.issuer, first.refresh_token!);
    assert.equal(doubleSubmit.status, 400);
    assert.equal(doubleSubmit.body.error, 'invalid_grant');
    const third = await refresh(gh.issuer, String(second.body.refresh_token));
    assert.equal(third.status, 200, 'the grant survives an honest double submit');
  });

  it('introspection of a refresh token inside the window answers inactive, not an error', async () => {
    const first = await userTokens(gh.issuer);
    assert.equal((await refresh(gh.issuer, first.refresh_token!)).status, 200);
    assert.equal((await introspect(gh.issuer, first.refresh_token!)).active, false);
  });
});

describe(`refresh retry window: a client that never received a refresh's answer can redeem the token again (${mode})`, () => {
  let gh: TestGatehouse;
  before(async () => {
    // The default window (60 s); one test shortens it through a second server below.
    gh = await startTestGatehouse();
  });
  after(async () => gh?.stop());

  const userSet = () => userTokens(gh.issuer, { resource: CMS, scope: 'openid offline_access cases:read' });

  it('the retry gets the same successor and a new, working access token; the grant lives on', async () => {
    const first = await userSet();
    const lost = await refresh(gh.issuer, first.refresh_token!);
    assert.equal(lost.status, 200);
    // The client never saw `lost`: it presents the old token again.
    const retried = await refresh(gh.issuer, first.refresh_token!);
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal(retried.body.refresh_token, lost.body.refresh_token, 'the same successor again');
    assert.notEqual(retried.body.access_token, lost.body.access_token);
    assert.equal((await introspect(gh.issuer, String(retried.body.access_token))).active, true);
    const next = await refresh(gh.issuer, String(retried.body.refresh_token));
    assert.equal(next.status, 200, 'the chain goes on');
    assert.equal((await introspect(gh.issuer, String(next.body.access_token))).active, true);
  });

  it('a refresh that consumed its token and then failed, and could not give it back (the database went away), can be retried', async () => {
    const first = await userSet();
    const db = gh.gatehouse.storage.db;
    // Consumed as a dying node or a Postgres restart leaves it: no successor, no in-flight mark.
    await db('oidc_payloads').where({ kind: 'RefreshToken', id: first.refresh_token! }).update({ consumed_at: new Date() });
    const retried = await refresh(gh.issuer, first.refresh_token!);
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal((await refresh(gh.issuer, String(retried.body.refresh_token))).status, 200);
  });

  it('once the successor was used, presenting the old token is reuse: the grant is revoked', async () => {
    const first = await userSet();
    const second = await refresh(gh.issuer, first.refresh_token!);
    const third = await refresh(gh.issuer, String(second.body.refresh_token));
    assert.equal(third.status, 200);
    const replay = await refresh(gh.issuer, first.refresh_token!);
    assert.deepEqual([replay.status, replay.body.error], [400, 'invalid_grant']);
    assert.equal((await refresh(gh.issuer, String(third.body.refresh_token))).status, 400, 'the grant died');
    assert.equal((await introspect(gh.issuer, String(third.body.access_token))).active, false);
  });

  it('another client presenting the token gets nothing, even inside the window', async () => {
    const first = await userSet();
    const second = await refresh(gh.issuer, first.refresh_token!);
    const stranger = await postForm(`${gh.issuer}/token`, { grant_type: 'refresh_token', refresh_token: first.refresh_token! }, backend);
    assert.equal(stranger.status, 400);
    assert.equal(stranger.body.refresh_token, undefined);
    assert.equal(stranger.body.access_token, undefined);
    assert.equal((await refresh(gh.issuer, String(second.body.refresh_token))).status, 200);
  });

  it('10 concurrent refreshes with one token yield one successor, and it stays valid', async () => {
    const first = await userSet();
    const results = await Promise.all(Array.from({ length: 10 }, () => refresh(gh.issuer, first.refresh_token!)));
    const successors = new Set(results.filter((r) => r.status === 200).map((r) => r.body.refresh_token));
    assert.equal(successors.size, 1, `statuses: ${results.map((r) => `${r.status} ${String(r.body.error ?? '')}`).join(',')}`);
    for (const other of results.filter((r) => r.status !== 200)) {
      assert.ok((other.status === 400 && other.body.error === 'invalid_grant') || (other.status === 503 && other.headers.get('retry-after')), `${other.status} ${JSON.stringify(other.body)}`);
    }
    assert.equal((await refresh(gh.issuer, String([...successors][0]))).status, 200, 'nothing was revoked');
  });

  describe('after the window', () => {
    let short: TestGatehouse;
    before(async () => {
      // A second node on the first one's database with real Postgres; embedded, a sandbox of its own:
      // two PGlite instances on one data directory corrupt it (a later query spun forever inside PGlite,
      // where no test timeout can fire, and the run hung).
      short = await startTestGatehouse({ GATEHOUSE_REFRESH_RETRY_SECONDS: '1' }, mode === 'servers' ? gh.sandbox : undefined);
    });
    after(async () => short?.stop());

    it('presenting the old token is reuse: the grant is revoked', async () => {
      const first = await userTokens(short.issuer);
      const second = await refresh(short.issuer, first.refresh_token!);
      await new Promise((r) => setTimeout(r, 1300));
      const replay = await refresh(short.issuer, first.refresh_token!);
      assert.deepEqual([replay.status, replay.body.error], [400, 'invalid_grant']);
      assert.equal((await refresh(short.issuer, String(second.body.refresh_token))).status, 400, 'the grant died');
    });
  });
});
