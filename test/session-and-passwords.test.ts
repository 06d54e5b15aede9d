import { strict as assert } from 'node:assert';

import argon2 from 'argon2';

import { FormBrowser } from './helpers/form-login.js';
import { john, mode, portal, productionHashing, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { userTokens } from './helpers/user-tokens.js';

describe(`passwords and RP-initiated logout (${mode})`, () => {
  let gh: TestGatehouse;
  before(async () => {
    // The production defaults, not the harness's cheap hashing.
    gh = await startTestGatehouse(productionHashing);
  });
  after(async () => gh?.stop());

  it('stores argon2id at m=19456 KiB, t=2, p=1 and re-hashes a weaker hash on login', async () => {
    const db = gh.gatehouse.storage.db;
    const stored = await db('users').first('password_hash').where({ username: 'john' });
    assert.match(stored.password_hash, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);

    const weak = await argon2.hash(john.password, { type: argon2.argon2id, memoryCost: 4096, timeCost: 1, parallelism: 1 });
    await db('users').where({ username: 'john' }).update({ password_hash: weak });
    await userTokens(gh.issuer, { scope: 'openid' });
    const upgraded = await db('users').first('password_hash').where({ username: 'john' });
    assert.notEqual(upgraded.password_hash, weak);
    assert.match(upgraded.password_hash, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  });

  it('end_session shows the logout confirmation page, signs the browser out and returns to the client', async () => {
    const browser = new FormBrowser(portal.redirectUri.replace('/cb', '/'));
    const auth = new URL(`${gh.issuer}/auth`);
    auth.search = new URLSearchParams({ client_id: portal.id, response_type: 'code', redirect_uri: portal.redirectUri, scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' }).toString();
    // sign in, keeping the browser's cookies (stop at the callback)
    const signIn = new FormBrowser(portal.redirectUri);
    let page = await signIn.go(auth.href);
    page = await signIn.submit(page, '/login', { login: john.username, password: john.password });
    if (page.html.includes('/confirm"')) page = await signIn.submit(page, '/confirm');
    assert.ok(new URL(page.url).searchParams.get('code'));
    Object.assign(browser, { jar: signIn.jar });

    const logout = await browser.go(`${gh.issuer}/session/end?client_id=${portal.id}&post_logout_redirect_uri=${encodeURIComponent('http://127.0.0.1:8081/')}`);
    assert.equal(logout.status, 200);
    assert.match(logout.html, /Sign out · Gatehouse/);
    assert.match(logout.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(logout.html)?.[1];
    const action = /<form[^>]*action="([^"]+)"/.exec(logout.html)?.[1];
    assert.ok(xsrf && action, logout.html);
    const done = await browser.go(new URL(action, gh.issuer).href, { method: 'POST', form: { xsrf, logout: 'yes' } });
    assert.equal(done.url, 'http://127.0.0.1:8081/', 'back at the client after logout');

    // the session is gone: a new authorization asks for the login again
    const again = await browser.go(auth.href);
    assert.match(again.html, /action="\/interaction\/[^"]+\/login"/);
  });
});
