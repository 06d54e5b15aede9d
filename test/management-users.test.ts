import { randomUUID } from 'node:crypto';
import { strict as assert } from 'node:assert';

import { FormBrowser } from './helpers/form-login.js';
import { CMS, mode, portal, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { api, lena, opsService, personToken, root, serviceToken, userIdsByName } from './helpers/management-api.js';
import { introspect, refresh, userTokens } from './helpers/user-tokens.js';
import { LOGIN_FAILED } from '../src/interactions/interaction-routes.js';

const GOOD_PASSWORD = 'violet-harbour-tram-42';
const withoutRequestId = (body: Record<string, unknown>) => ({ ...body, request_id: undefined });
const detailsOf = (row: { details: unknown }) => (typeof row.details === 'string' ? JSON.parse(row.details) : row.details) as Record<string, any>;

describe(`management API: users (${mode})`, () => {
  let gh: TestGatehouse;
  let ops: string;
  let ids: Record<string, string>;
  before(async () => {
    gh = await startTestGatehouse();
    ops = await serviceToken(gh.issuer, opsService);
    ids = await userIdsByName(gh.gatehouse.storage.db);
  });
  after(async () => gh?.stop());

  /** Submits the login form as a browser would; the page it lands on. */
  async function loginPage(username: string, password: string) {
    const browser = new FormBrowser(portal.redirectUri);
    const auth = new URL(`${gh.issuer}/auth`);
    auth.search = new URLSearchParams({ client_id: portal.id, response_type: 'code', redirect_uri: portal.redirectUri, scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' }).toString();
    return browser.submit(await browser.go(auth.href), '/login', { login: username, password });
  }
  const loggedIn = (page: { html: string; url: string }) => page.html.includes('/confirm"') || page.url.startsWith(portal.redirectUri);

  it('creates, reads, changes and deletes a user; every change is audited with before and after and no secret', async () => {
    const created = await api(gh.issuer, ops, 'POST', '/users', {
      username: 'Alice.Smith', email: 'alice@example.org', givenName: 'Alice', familyName: 'Smith', password: GOOD_PASSWORD,
      labs: [{ labId: 'lab-1', role: 'member' }],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id as string;
    assert.equal(created.headers.get('location'), `/api/v1/users/${id}`);
    assert.deepEqual(
      { ...created.body, id: undefined, createdAt: undefined, updatedAt: undefined },
      { id: undefined, username: 'Alice.Smith', email: 'alice@example.org', emailVerified: false, givenName: 'Alice', familyName: 'Smith', status: 'active', isAdmin: false, createdAt: undefined, updatedAt: undefined, labs: [{ labId: 'lab-1', role: 'member', status: 'active' }], roles: [], attributes: {} },
    );
    assert.ok(!JSON.stringify(created.body).includes('argon2'), 'no hash in the answer');

    const fetched = await api(gh.issuer, ops, 'GET', `/users/${id}`);
    assert.equal(fetched.status, 200);
    assert.equal(fetched.body.username, 'Alice.Smith');

    const changed = await api(gh.issuer, ops, 'PATCH', `/users/${id}`, { familyName: 'Jones', email: 'alice.jones@example.org', givenName: null });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.deepEqual([changed.body.familyName, changed.body.email, changed.body.givenName], ['Jones', 'alice.jones@example.org', undefined]);
    assert.equal((await api(gh.issuer, ops, 'PATCH', `/users/${id}`, { isAdmin: true })).status, 403, 'a service does not make platform admins');

    assert.equal((await api(gh.issuer, ops, 'PUT', `/users/${id}/password`, { password: 'another-long-passphrase-7' })).status, 204);
    assert.equal((await api(gh.issuer, ops, 'DELETE', `/users/${id}`)).status, 204);
    const gone = await api(gh.issuer, ops, 'GET', `/users/${id}`);
    assert.equal(gone.status, 404);
    assert.equal(gone.headers.get('content-type'), 'application/problem+json');
    assert.equal((await api(gh.issuer, ops, 'DELETE', `/users/${id}`)).status, 404);
    assert.equal((await gh.gatehouse.storage.db('memberships').where({ user_id: id })).length, 0, 'memberships went with the user');

    const rows = await gh.gatehouse.storage.db('audit_log').select('action', 'actor', 'details').where('target', `user:${id}`).orderBy('id');
    assert.deepEqual(rows.map((r: { action: string }) => r.action), ['user.created', 'user.updated', 'user.password_set', 'user.deleted']);
    assert.ok(rows.every((r: { actor: string }) => r.actor === 'client:ops-service'));
    const updated = detailsOf(rows[1]);
    assert.deepEqual([updated.before.familyName, updated.after.familyName], ['Smith', 'Jones']);
    const everything = JSON.stringify(rows);
    assert.ok(!everything.includes(GOOD_PASSWORD) && !everything.includes('another-long-passphrase-7') && !/argon2|passwordHash|password_hash/.test(everything), 'no password or hash in the audit log');
  });

  it('deleting a user ends their access: the refresh token fails and the access token introspects inactive', async () => {
    const created = await api(gh.issuer, ops, 'POST', '/users', { username: 'short-lived', password: GOOD_PASSWORD, labs: [{ labId: 'lab-1', role: 'member' }] });
    assert.equal(created.status, 201);
    const tokens = await userTokens(gh.issuer, { scope: 'openid offline_access cases:read', resource: CMS, user: { username: 'short-lived', password: GOOD_PASSWORD } });
    assert.equal((await introspect(gh.issuer, tokens.access_token)).active, true);
    assert.equal((await api(gh.issuer, ops, 'DELETE', `/users/${created.body.id}`)).status, 204);
    assert.equal((await introspect(gh.issuer, tokens.access_token)).active, false);
    const refused = await refresh(gh.issuer, tokens.refresh_token!);
    assert.deepEqual([refused.status, refused.body.error], [400, 'invalid_grant']);
    const grants = await gh.gatehouse.storage.db('oidc_payloads').where({ kind: 'Grant', account_id: created.body.id });
    assert.equal(grants.length, 0, 'the grants are gone too');
  });

  it('searches with filters, a total and a stable order (username, id), page by page', async () => {
    for (const n of [3, 1, 4, 2, 5]) {
      const made = await api(gh.issuer, ops, 'POST', '/users', { username: `pager-${n}`, email: `pager${n}@example.org`, ...(n === 4 ? { familyName: 'Needle' } : {}) });
      assert.equal(made.status, 201, JSON.stringify(made.body));
    }
    const first = await api(gh.issuer, ops, 'GET', '/users?q=PAGER&limit=2');
    assert.equal(first.status, 200);
    assert.equal(first.body.total, 5);
    assert.deepEqual(first.body.items.map((u: { username: string }) => u.username), ['pager-1', 'pager-2']);
    const third = await api(gh.issuer, ops, 'GET', '/users?q=pager&limit=2&offset=4');
    assert.deepEqual(third.body.items.map((u: { username: string }) => u.username), ['pager-5']);
    const beyond = await api(gh.issuer, ops, 'GET', '/users?q=pager&limit=2&offset=10');
    assert.deepEqual([beyond.body.items, beyond.body.total], [[], 5], 'the total holds past the last page');
    assert.deepEqual((await api(gh.issuer, ops, 'GET', '/users?q=needl')).body.items.map((u: { username: string }) => u.username), ['pager-4'], 'q matches names too');
    assert.deepEqual((await api(gh.issuer, ops, 'GET', '/users?email=PAGER3@example.org')).body.items.map((u: { username: string }) => u.username), ['pager-3']);
    assert.deepEqual((await api(gh.issuer, ops, 'GET', '/users?username=JOHN')).body.items.map((u: { username: string }) => u.username), ['john']);
    assert.deepEqual((await api(gh.issuer, ops, 'GET', '/users?status=blocked')).body.items.map((u: { username: string }) => u.username), ['blocked-bob']);
    const lab1 = await api(gh.issuer, ops, 'GET', '/users?lab=lab-1');
    assert.deepEqual(lab1.body.items.map((u: { username: string }) => u.username), ['john', 'lena', 'mary', 'sam']);
    const mary = lab1.body.items.find((u: { username: string }) => u.username === 'mary');
    assert.deepEqual(mary.labs, [{ labId: 'lab-1', role: 'admin', status: 'active' }, { labId: 'lab-2', role: 'viewer', status: 'active' }]);
    const half = await api(gh.issuer, ops, 'GET', '/users?resource=https://cms.example');
    assert.equal(half.status, 400);
    assert.deepEqual(half.body.errors.map((e: { pointer: string }) => e.pointer), ['#/query/role']);
  });

  it('refuses a taken username or email whatever its case (409 pointing at the field)', async () => {
    const byName = await api(gh.issuer, ops, 'POST', '/users', { username: 'JOHN', email: 'someone-new@example.org' });
    assert.equal(byName.status, 409);
    assert.deepEqual(byName.body.errors, [{ pointer: '#/body/username', detail: 'is taken' }]);
    const byEmail = await api(gh.issuer, ops, 'POST', '/users', { username: 'someone-new', email: 'John@Test.COM' });
    assert.equal(byEmail.status, 409);
    assert.deepEqual(byEmail.body.errors, [{ pointer: '#/body/email', detail: 'is taken' }]);
    const both = await api(gh.issuer, ops, 'POST', '/users', { username: 'Mary', email: 'MARY@test.com' });
    assert.deepEqual(both.body.errors.map((e: { pointer: string }) => e.pointer), ['#/body/username', '#/body/email']);
    const renamed = await api(gh.issuer, ops, 'PATCH', `/users/${ids.sam}`, { email: 'LENA@test.com' });
    assert.equal(renamed.status, 409);
    assert.deepEqual(renamed.body.errors, [{ pointer: '#/body/email', detail: 'is taken' }]);
    assert.equal((await gh.gatehouse.storage.db('users').whereRaw("lower(username) = 'someone-new'")).length, 0);
  });

  it('applies the password policy (length, common passwords) with a pointer; a password set through the API signs in', async () => {
    const tooShort = await api(gh.issuer, ops, 'POST', '/users', { username: 'shorty', password: 'short-pw' });
    assert.equal(tooShort.status, 400);
    assert.deepEqual(tooShort.body.errors, [{ pointer: '#/body/password', detail: 'must be at least 12 characters long' }]);
    const common = await api(gh.issuer, ops, 'POST', '/users', { username: 'commoner', password: 'QWERTY123456' });
    assert.equal(common.status, 400);
    assert.equal(common.body.errors[0].pointer, '#/body/password');
    assert.match(common.body.errors[0].detail, /too common/);
    const ownName = await api(gh.issuer, ops, 'POST', '/users', { username: 'longusername-xyz', password: 'LongUsername-XYZ' });
    assert.deepEqual(ownName.body.errors, [{ pointer: '#/body/password', detail: 'must not be the username or email' }]);
    assert.equal((await gh.gatehouse.storage.db('users').whereIn('username', ['shorty', 'commoner', 'longusername-xyz'])).length, 0, 'nobody was created');

    const made = await api(gh.issuer, ops, 'POST', '/users', { username: 'newbie', email: 'newbie@example.org' });
    assert.equal(made.status, 201);
    const refused = await api(gh.issuer, ops, 'PUT', `/users/${made.body.id}/password`, { password: '1q2w3e4r5t6y' });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.errors[0].pointer, '#/body/password');
    assert.equal((await api(gh.issuer, ops, 'PUT', '/users/no-such-user/password', { password: GOOD_PASSWORD })).status, 404);
    assert.equal((await api(gh.issuer, ops, 'PUT', `/users/${made.body.id}/password`, { password: GOOD_PASSWORD })).status, 204);

    const tokens = await userTokens(gh.issuer, { scope: 'openid', user: { username: 'newbie', password: GOOD_PASSWORD } });
    const claims = JSON.parse(Buffer.from(tokens.id_token!.split('.')[1]!, 'base64url').toString()) as { sub: string };
    assert.equal(claims.sub, made.body.id);
  });

  it('block: the live refresh token fails, the access token introspects inactive, login fails like a wrong password; restore: login works', async () => {
    const user = { username: 'blockee', password: GOOD_PASSWORD };
    const made = await api(gh.issuer, ops, 'POST', '/users', { ...user, email: 'blockee@example.org' });
    assert.equal(made.status, 201);
    const tokens = await userTokens(gh.issuer, { scope: 'openid offline_access cases:read', resource: CMS, user });
    assert.equal((await introspect(gh.issuer, tokens.access_token)).active, true);

    const blocked = await api(gh.issuer, ops, 'POST', `/users/${made.body.id}/block`, { reason: 'lost laptop' });
    assert.equal(blocked.status, 200, JSON.stringify(blocked.body));
    assert.equal(blocked.body.status, 'blocked');
    const refused = await refresh(gh.issuer, tokens.refresh_token!);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'invalid_grant');
    assert.equal((await introspect(gh.issuer, tokens.access_token)).active, false);

    const denied = await loginPage(user.username, user.password);
    const wrong = await loginPage(user.username, 'not-the-password');
    assert.equal(denied.status, 401);
    assert.ok(denied.html.includes(LOGIN_FAILED));
    const normalise = (html: string) => html.replace(/value="[^"]*"/g, '').replace(/\/interaction\/[^/]+\//g, '/interaction/UID/');
    assert.equal(normalise(denied.html), normalise(wrong.html), 'indistinguishable from a wrong password');

    const restored = await api(gh.issuer, ops, 'POST', `/users/${made.body.id}/restore`);
    assert.equal(restored.status, 200);
    assert.equal(restored.body.status, 'active');
    assert.ok(loggedIn(await loginPage(user.username, user.password)), 'login works again');
    assert.equal((await api(gh.issuer, ops, 'POST', '/users/no-such-user/block', { reason: 'x' })).status, 404);

    const rows = await gh.gatehouse.storage.db('audit_log').select('action', 'actor', 'details').where('target', `user:${made.body.id}`).whereIn('action', ['user.blocked', 'user.restored']).orderBy('id');
    assert.deepEqual(rows.map((r: { action: string }) => r.action), ['user.blocked', 'user.restored']);
    assert.equal(detailsOf(rows[0]).reason, 'lost laptop');
    assert.equal(rows[0].actor, 'client:ops-service');
  });

  it('users:batch answers 1000 ids (known and unknown) in one call; 1001 ids are refused; a lab admin gets other labs\' users as unknown', async () => {
    const known = Object.values(ids);
    const unknown = Array.from({ length: 1000 - known.length }, () => randomUUID());
    const requested = [...unknown.slice(0, 500), ...known, ...unknown.slice(500)];
    const batch = await api(gh.issuer, ops, 'POST', '/users:batch', { ids: requested });
    assert.equal(batch.status, 200, JSON.stringify(batch.body).slice(0, 300));
    assert.deepEqual(batch.body.users.map((u: { id: string }) => u.id).sort(), [...known].sort());
    assert.deepEqual(batch.body.unknown, unknown);
    assert.ok(batch.body.users.every((u: Record<string, unknown>) => !('passwordHash' in u)));

    const tooMany = await api(gh.issuer, ops, 'POST', '/users:batch', { ids: [...requested, randomUUID()] });
    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.body.errors[0].pointer, '#/body/ids');
    assert.equal((await api(gh.issuer, ops, 'POST', '/users:batch', { ids: [ids.john, ids.john] })).status, 400, 'ids must be distinct');

    const lenaToken = await personToken(gh.issuer, lena, { lab: 'lab-1' });
    const confined = await api(gh.issuer, lenaToken, 'POST', '/users:batch', { ids: [ids.otto, ids.john, ids.mary, 'nobody'] });
    assert.equal(confined.status, 200);
    assert.deepEqual(confined.body.users.map((u: { username: string }) => u.username), ['john', 'mary']);
    assert.deepEqual(confined.body.unknown, [ids.otto, 'nobody']);
    assert.deepEqual(confined.body.users[1].labs, [{ labId: 'lab-1', role: 'admin', status: 'active' }], 'only the membership in her lab shows');
  });

  it('users by resource role: otto, an active tts agent in lab-2, is listed until his membership is suspended', async () => {
    const lookup = '/users?resource=https://tts.example&role=agent&lab=lab-2&status=active';
    const listed = await api(gh.issuer, ops, 'GET', lookup);
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.items.map((u: { username: string }) => u.username), ['otto']);
    assert.equal((await api(gh.issuer, ops, 'GET', '/users?resource=https://tts.example&role=agent&lab=lab-1')).body.total, 0, 'his role is limited to lab-2');
    // Mary is a global cms manager and a member of both labs; John is a technician with no lab-2 membership.
    assert.deepEqual((await api(gh.issuer, ops, 'GET', '/users?resource=https://cms.example&role=manager&lab=lab-2')).body.items.map((u: { username: string }) => u.username), ['mary']);
    assert.deepEqual((await api(gh.issuer, ops, 'GET', '/users?resource=https://cms.example&role=technician')).body.items.map((u: { username: string }) => u.username), ['john', 'mary']);

    const suspended = await api(gh.issuer, ops, 'PATCH', `/labs/lab-2/members/${ids.otto}`, { status: 'suspended' });
    assert.equal(suspended.status, 200);
    try {
      const after = await api(gh.issuer, ops, 'GET', lookup);
      assert.deepEqual([after.body.items, after.body.total], [[], 0]);
    } finally {
      await api(gh.issuer, ops, 'PATCH', `/labs/lab-2/members/${ids.otto}`, { status: 'active' });
    }
    await api(gh.issuer, ops, 'PATCH', '/labs/lab-2', { status: 'suspended' });
    try {
      assert.equal((await api(gh.issuer, ops, 'GET', lookup)).body.total, 0, 'nor in a suspended lab');
    } finally {
      await api(gh.issuer, ops, 'PATCH', '/labs/lab-2', { status: 'active' });
    }
    assert.equal((await api(gh.issuer, ops, 'GET', lookup)).body.total, 1);
  });

  it('a lab admin cannot read, change or infer users of another lab: the same 404 as an unknown id, the same 400 as an unknown lab', async () => {
    const token = await personToken(gh.issuer, lena, { lab: 'lab-1' });
    const other = await api(gh.issuer, token, 'GET', `/users/${ids.otto}`);
    const missing = await api(gh.issuer, token, 'GET', `/users/${randomUUID()}`);
    assert.equal(other.status, 404);
    assert.deepEqual(withoutRequestId(other.body), withoutRequestId(missing.body));
    for (const [method, path, body] of [
      ['PATCH', `/users/${ids.otto}`, { givenName: 'X' }],
      ['PUT', `/users/${ids.otto}/password`, { password: GOOD_PASSWORD }],
      ['GET', `/users/${ids.otto}/roles`, undefined],
    ] as const) {
      const response = await api(gh.issuer, token, method, path, body);
      assert.equal(response.status, 404, `${method} ${path}`);
    }
    // Naming another lab is refused exactly as naming a lab that does not exist.
    const lab2 = await api(gh.issuer, token, 'GET', '/users?lab=lab-2');
    const noLab = await api(gh.issuer, token, 'GET', '/users?lab=no-such-lab');
    assert.equal(lab2.status, 400);
    assert.deepEqual(withoutRequestId(lab2.body), withoutRequestId(noLab.body));
    assert.equal((await api(gh.issuer, token, 'GET', '/users?q=otto')).body.total, 0);
    assert.equal((await api(gh.issuer, token, 'GET', '/users?resource=https://tts.example&role=agent&lab=lab-2')).status, 400);
    const mine = await api(gh.issuer, token, 'GET', '/users');
    assert.deepEqual(mine.body.items.map((u: { username: string }) => u.username), ['john', 'lena', 'mary', 'sam']);

    // Writes lab admins may not make, even on their own members.
    assert.equal((await api(gh.issuer, token, 'DELETE', `/users/${ids.john}`)).status, 403);
    assert.equal((await api(gh.issuer, token, 'POST', `/users/${ids.john}/block`, { reason: 'x' })).status, 403);
    assert.equal((await api(gh.issuer, token, 'PATCH', `/users/${ids.john}`, { email: 'j@example.org' })).status, 403);
    assert.equal((await api(gh.issuer, token, 'PUT', `/users/${ids.mary}/password`, { password: GOOD_PASSWORD })).status, 403, 'mary also belongs to lab-2');
    assert.equal((await api(gh.issuer, token, 'PATCH', `/users/${ids.john}`, { givenName: 'Johnny' })).body.givenName, 'Johnny');
  });

  it('a lab admin\'s new user joins her lab; she cannot make admins or place users elsewhere', async () => {
    const token = await personToken(gh.issuer, lena, { lab: 'lab-1' });
    const noMembership = await api(gh.issuer, token, 'POST', '/users', { username: 'lab-hire' });
    assert.equal(noMembership.status, 400);
    assert.deepEqual(noMembership.body.errors, [{ pointer: '#/body/membership', detail: 'is required for lab admins' }]);
    assert.equal((await api(gh.issuer, token, 'POST', '/users', { username: 'lab-hire', membership: { role: 'member' }, isAdmin: true })).status, 403);
    assert.equal((await api(gh.issuer, token, 'POST', '/users', { username: 'lab-hire', labs: [{ labId: 'lab-2', role: 'member' }] })).status, 400);
    const hired = await api(gh.issuer, token, 'POST', '/users', { username: 'lab-hire', membership: { role: 'member' }, password: GOOD_PASSWORD });
    assert.equal(hired.status, 201, JSON.stringify(hired.body));
    assert.deepEqual(hired.body.labs, [{ labId: 'lab-1', role: 'member', status: 'active' }]);
    // She gave the first password at creation; replacing it is a reset, which needs a platform admin.
    assert.equal((await api(gh.issuer, token, 'PUT', `/users/${hired.body.id}/password`, { password: 'a-fresh-long-password-9' })).status, 403, 'no resets by lab admins');

    const admin = await personToken(gh.issuer, root);
    const made = await api(gh.issuer, admin, 'POST', '/users', { username: 'second-admin', isAdmin: true });
    assert.equal(made.status, 201);
    assert.equal(made.body.isAdmin, true);
    assert.equal((await api(gh.issuer, admin, 'POST', `/users/${ids.root}/block`, { reason: 'oops' })).status, 409, 'nobody blocks themselves');
  });

  it('self-registration is a 404 while it is off', async () => {
    const response = await fetch(`${gh.issuer}/api/v1/registrations`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'walk-in', email: 'walk-in@example.org', password: GOOD_PASSWORD }),
    });
    assert.equal(response.status, 404);
    assert.equal(response.headers.get('content-type'), 'application/problem+json');
    assert.equal((await gh.gatehouse.storage.db('users').where({ username: 'walk-in' })).length, 0);
  });
});

describe(`self-registration when enabled (${mode})`, () => {
  let gh: TestGatehouse;
  before(async () => {
    gh = await startTestGatehouse({ GATEHOUSE_SELF_REGISTRATION: 'true' });
  });
  after(async () => gh?.stop());

  const register = async (body: Record<string, unknown>) => {
    const response = await fetch(`${gh.issuer}/api/v1/registrations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, headers: response.headers, text: await response.text() };
  };

  it('accepts a new account (202), answers a taken username or email identically, and the new user can sign in', async () => {
    const account = { username: 'walk-in', email: 'walk-in@example.org', password: GOOD_PASSWORD, givenName: 'Walk' };
    const accepted = await register(account);
    assert.equal(accepted.status, 202, accepted.text);
    assert.deepEqual(JSON.parse(accepted.text), { status: 'accepted' });

    const sameName = await register({ ...account, email: 'other@example.org' });
    const sameEmail = await register({ ...account, username: 'other-name', email: 'JOHN@test.com' });
    for (const duplicate of [sameName, sameEmail]) {
      assert.equal(duplicate.status, accepted.status);
      assert.equal(duplicate.text, accepted.text);
      assert.equal(duplicate.headers.get('content-type'), accepted.headers.get('content-type'));
    }
    assert.equal((await gh.gatehouse.storage.db('users').where({ username: 'other-name' })).length, 0);

    const weak = await register({ username: 'weakling', email: 'weak@example.org', password: 'password1234' });
    assert.equal(weak.status, 400);
    assert.equal(JSON.parse(weak.text).errors[0].pointer, '#/body/password');
    assert.equal((await register({ username: 'x' })).status, 400);

    const tokens = await userTokens(gh.issuer, { scope: 'openid', user: { username: 'walk-in', password: GOOD_PASSWORD } });
    assert.ok(tokens.id_token);

    const rows = await gh.gatehouse.storage.db('audit_log').select('action', 'details').whereIn('action', ['user.registered', 'user.registration_duplicate']).orderBy('id');
    assert.deepEqual(rows.map((r: { action: string }) => r.action), ['user.registered', 'user.registration_duplicate', 'user.registration_duplicate']);
    assert.deepEqual(detailsOf(rows[2]).taken, ['email']);
    assert.ok(!JSON.stringify(rows).includes(GOOD_PASSWORD), 'no password in the audit log');
  });

  it('allows ten attempts per address and hour, then answers 429 with Retry-After and creates nothing', async () => {
    // The test above made five attempts from this address.
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await register({ username: `burst-${i}`, email: `burst-${i}@example.org`, password: GOOD_PASSWORD })).status);
    assert.deepEqual(statuses, [202, 202, 202, 202, 202, 429]);
    const limited = await register({ username: 'burst-late', email: 'burst-late@example.org', password: GOOD_PASSWORD });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '3600');
    assert.equal(limited.headers.get('content-type'), 'application/problem+json');
    assert.equal((await gh.gatehouse.storage.db('users').whereIn('username', ['burst-5', 'burst-late'])).length, 0);
  });
});
