import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';

import { decodeJwt } from 'jose';

import { FormBrowser } from './helpers/form-login.js';
import { backend, CMS, john, mode, portal, postForm, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { introspect, refresh, userTokens } from './helpers/user-tokens.js';

const mary = { username: 'mary', password: 'pass123-long-enough' };
const sam = { username: 'sam', password: 'pass123-long-enough' };
const sue = { username: 'sue', password: 'pass123-long-enough' };
const scope = 'openid labs offline_access cases:read';

describe(`labs and roles in tokens (${mode})`, () => {
  let gh: TestGatehouse;
  before(async () => {
    gh = await startTestGatehouse();
  });
  after(async () => gh?.stop());

  /** The authorization request up to the first page after login (consent done). */
  async function loginUntilPicker(user: { username: string; password: string }, extra: Record<string, string> = {}) {
    const verifier = randomBytes(32).toString('base64url');
    const url = new URL(`${gh.issuer}/auth`);
    url.search = new URLSearchParams({
      client_id: portal.id, response_type: 'code', redirect_uri: portal.redirectUri, scope, resource: CMS, prompt: 'consent',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256', ...extra,
    }).toString();
    const browser = new FormBrowser(portal.redirectUri);
    let page = await browser.go(url.href);
    page = await browser.submit(page, '/login', { login: user.username, password: user.password });
    if (page.html.includes('/confirm"')) page = await browser.submit(page, '/confirm');
    return { browser, page, verifier };
  }

  async function redeem(callbackUrl: string, verifier: string) {
    const code = new URL(callbackUrl).searchParams.get('code');
    assert.ok(code, `no code in ${callbackUrl}`);
    const { status, body } = await postForm(`${gh.issuer}/token`, { grant_type: 'authorization_code', code, redirect_uri: portal.redirectUri, code_verifier: verifier }, portal);
    assert.equal(status, 200, JSON.stringify(body));
    return body as { access_token: string; id_token: string; refresh_token: string };
  }

  // How the person signed in (`amr`, `acr`) is test/second-factors.test.ts's subject, not this file's.
  const accessClaims = (token: string) => {
    const { iat: _i, exp: _e, jti: _j, sub: _s, grant_id: _g, amr: _m, acr: _a, ...rest } = decodeJwt(token);
    return rest;
  };

  it('single-lab user: the access token acts in that lab with the roles held there; the ID token lists the labs', async () => {
    const tokens = await userTokens(gh.issuer, { scope, resource: CMS });
    assert.deepEqual(accessClaims(tokens.access_token), {
      iss: gh.issuer, aud: CMS, client_id: portal.id, scope: 'cases:read', lab_id: 'lab-1', lab_role: 'member', roles: ['technician'],
    });
    assert.equal(decodeJwt(tokens.access_token).labs, undefined, 'no lab list in access tokens');
    assert.deepEqual(decodeJwt(tokens.id_token!).labs, [{ id: 'lab-1', name: 'Test Lab', role: 'member' }]);
  });

  it('multi-lab user with a lab parameter: no picker, that lab, lab-limited roles only there', async () => {
    const { page, verifier } = await loginUntilPicker(mary, { lab: 'lab-2' });
    const tokens = await redeem(page.url, verifier);
    assert.deepEqual(accessClaims(tokens.access_token), {
      iss: gh.issuer, aud: CMS, client_id: portal.id, scope: 'cases:read', lab_id: 'lab-2', lab_role: 'viewer', roles: ['manager'],
    });
    assert.deepEqual(decodeJwt(tokens.id_token).labs, [
      { id: 'lab-2', name: 'Second Lab', role: 'viewer' },
      { id: 'lab-1', name: 'Test Lab', role: 'admin' },
    ]);
  });

  it('multi-lab user without a lab parameter chooses on the picker page; refresh with lab switches labs', async () => {
    const { browser, page, verifier } = await loginUntilPicker(mary);
    assert.match(page.html, /Choose a lab/);
    assert.match(page.html, /value="lab-1"/);
    assert.match(page.html, /value="lab-2"/);
    assert.doesNotMatch(page.html, /lab-3/, 'suspended labs are not offered');
    const done = await browser.submit(page, '/lab', { lab: 'lab-1' });
    const tokens = await redeem(done.url, verifier);
    assert.deepEqual(accessClaims(tokens.access_token), {
      iss: gh.issuer, aud: CMS, client_id: portal.id, scope: 'cases:read', lab_id: 'lab-1', lab_role: 'admin', roles: ['manager', 'technician'],
    });

    const switched = await refresh(gh.issuer, tokens.refresh_token, { lab: 'lab-2' });
    assert.equal(switched.status, 200, JSON.stringify(switched.body));
    assert.deepEqual(accessClaims(String(switched.body.access_token)), {
      iss: gh.issuer, aud: CMS, client_id: portal.id, scope: 'cases:read', lab_id: 'lab-2', lab_role: 'viewer', roles: ['manager'],
    });
    const stays = await refresh(gh.issuer, String(switched.body.refresh_token));
    assert.equal(decodeJwt(String(stays.body.access_token)).lab_id, 'lab-2', 'the switch sticks to the grant');
  });

  it('switching an existing grant to another lab by a GET needs the CSRF-protected confirmation', async () => {
    const { browser, page, verifier } = await loginUntilPicker(mary, { lab: 'lab-1' });
    await redeem(page.url, verifier);
    // Same browser session, same client: a link naming lab-2 must not switch by itself.
    const url = new URL(`${gh.issuer}/auth`);
    const switchVerifier = randomBytes(32).toString('base64url');
    url.search = new URLSearchParams({
      client_id: portal.id, response_type: 'code', redirect_uri: portal.redirectUri, scope, resource: CMS, lab: 'lab-2',
      code_challenge: createHash('sha256').update(switchVerifier).digest('base64url'), code_challenge_method: 'S256',
    }).toString();
    const picker = await browser.go(url.href);
    assert.match(picker.html, /Choose a lab/, `expected the confirmation page, got ${picker.url}`);
    assert.match(picker.html, /value="lab-2"/);
    assert.doesNotMatch(picker.html, /value="lab-1"/);
    const done = await browser.submit(picker, '/lab', { lab: 'lab-2' });
    const tokens = await redeem(done.url, switchVerifier);
    assert.equal(decodeJwt(tokens.access_token).lab_id, 'lab-2');
  });

  it('a lab switch on a refresh that fails is not recorded', async () => {
    const { page, verifier } = await loginUntilPicker(mary, { lab: 'lab-1' });
    const tokens = await redeem(page.url, verifier);
    const db = gh.gatehouse.storage.db;
    await db.raw('ALTER TABLE resource_roles RENAME TO resource_roles_away'); // fails after the token is consumed
    try {
      assert.ok((await refresh(gh.issuer, tokens.refresh_token, { lab: 'lab-2' })).status >= 500);
    } finally {
      await db.raw('ALTER TABLE resource_roles_away RENAME TO resource_roles');
    }
    const next = await refresh(gh.issuer, tokens.refresh_token);
    assert.equal(next.status, 200, JSON.stringify(next.body));
    assert.equal(decodeJwt(String(next.body.access_token)).lab_id, 'lab-1');
  });

  it('a service client gets its resource roles and no lab', async () => {
    const { body } = await postForm(`${gh.issuer}/token`, { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }, backend);
    assert.deepEqual(accessClaims(String(body.access_token)), { iss: gh.issuer, aud: CMS, client_id: backend.id, scope: 'cases:read', roles: ['manager'] });
  });

  it('a lab the user is not an active member of gets access_denied, never a code', async () => {
    for (const [user, lab] of [[john, 'lab-2'], [sam, 'lab-1'], [sue, 'lab-3'], [john, 'no-such-lab']] as const) {
      const { page } = await loginUntilPicker(user, { lab });
      const callback = new URL(page.url);
      assert.equal(callback.searchParams.get('error'), 'access_denied', `${user.username} in ${lab}: ${page.url}`);
      assert.match(callback.searchParams.get('error_description')!, new RegExp(`not an active member of lab ${lab}`));
      assert.equal(callback.searchParams.get('code'), null);
    }
  });

  it('refresh with a lab the user may not use is refused with invalid_target and costs nothing', async () => {
    const tokens = await userTokens(gh.issuer, { scope, resource: CMS });
    for (const lab of ['lab-2', 'lab-3']) {
      const refused = await refresh(gh.issuer, tokens.refresh_token!, { lab });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error, 'invalid_target');
    }
    assert.equal((await refresh(gh.issuer, tokens.refresh_token!)).status, 200, 'the refresh token was not consumed');
  });

  it('suspending the membership or the lab stops refresh and makes access tokens inactive', async () => {
    const db = gh.gatehouse.storage.db;
    for (const [suspend, restore] of [
      [() => db('memberships').where({ user_id: db('users').select('id').where({ username: 'mary' }), lab_id: 'lab-2' }).update({ status: 'suspended' }),
        () => db('memberships').where({ user_id: db('users').select('id').where({ username: 'mary' }), lab_id: 'lab-2' }).update({ status: 'active' })],
      [() => db('labs').where({ id: 'lab-2' }).update({ status: 'suspended' }), () => db('labs').where({ id: 'lab-2' }).update({ status: 'active' })],
    ] as const) {
      const { page, verifier } = await loginUntilPicker(mary, { lab: 'lab-2' });
      const tokens = await redeem(page.url, verifier);
      assert.equal((await introspect(gh.issuer, tokens.access_token)).active, true);
      await suspend();
      try {
        assert.equal((await introspect(gh.issuer, tokens.access_token)).active, false);
        const refused = await refresh(gh.issuer, tokens.refresh_token);
        assert.equal(refused.status, 400);
        assert.equal(refused.body.error, 'invalid_grant');
      } finally {
        await restore();
      }
    }
  });

  it('a blocked user: refresh fails and access tokens (JWT and opaque) are inactive', async () => {
    const tokens = await userTokens(gh.issuer, { scope, resource: CMS });
    const opaque = (await userTokens(gh.issuer, { scope: 'openid' })).access_token;
    const db = gh.gatehouse.storage.db;
    await db('users').where({ username: 'john' }).update({ status: 'blocked' });
    try {
      assert.equal((await introspect(gh.issuer, tokens.access_token)).active, false);
      assert.equal((await introspect(gh.issuer, opaque)).active, false);
      const refused = await refresh(gh.issuer, tokens.refresh_token!);
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error, 'invalid_grant');
    } finally {
      await db('users').where({ username: 'john' }).update({ status: 'active' });
    }
  });
});
