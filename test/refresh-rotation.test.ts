import { strict as assert } from 'node:assert';

import { CMS, mode, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { flushStore } from './helpers/redis-flush.js';
import { introspect, refresh, userTokens } from './helpers/user-tokens.js';

describe(`refresh token rotation and reuse detection (${mode})`, () => {
  let gh: TestGatehouse;
  before(async () => {
    gh = await startTestGatehouse();
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
    gh = await startTestGatehouse({ GATEHOUSE_REFRESH_REUSE_GRACE_SECONDS: '30' });
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
