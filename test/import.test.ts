import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';

import { parseImportDocument } from '../src/config/import-document.js';
import { ValidationError } from '../src/domain/errors.js';
import type { Services } from '../src/services.js';
import { fixtureImport, mode, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { api, opsService, serviceToken, userIdsByName } from './helpers/management-api.js';
import { introspect, refresh, userTokens } from './helpers/user-tokens.js';

const sam = { username: 'sam', password: 'pass123-long-enough' };

describe(`the declarative import applies through the management use cases (${mode})`, () => {
  let gh: TestGatehouse;
  let ops: string;
  let ids: Record<string, string>;
  const fixture = () => parseImportDocument(readFileSync(fixtureImport, 'utf8'), fixtureImport);
  const actions = async (actor: string) => (await gh.gatehouse.storage.db('audit_log').select('action', 'target').where({ actor }).orderBy('id')) as Array<{ action: string; target: string }>;
  let applyImport: Services['applyImport'];

  before(async () => {
    gh = await startTestGatehouse();
    ops = await serviceToken(gh.issuer, opsService);
    ids = await userIdsByName(gh.gatehouse.storage.db);
    ({ applyImport } = gh.gatehouse.services);
  });
  after(async () => gh?.stop());

  it('audits what the import at start created as import:<file>, with the use cases\' actions', async () => {
    const rows = await actions(`import:${fixtureImport}`);
    for (const expected of [
      { action: 'resource.created', target: 'resource:https://cms.example' },
      { action: 'lab.created', target: 'lab:lab-3' },
      { action: 'client.created', target: 'client:portal' },
      { action: 'role.granted', target: 'client:cms-backend' },
      { action: 'user.created', target: `user:${ids.john}` },
      { action: 'user.blocked', target: `user:${ids['blocked-bob']}` },
      { action: 'role.granted', target: `user:${ids.mary}` },
    ]) assert.ok(rows.some((r) => r.action === expected.action && r.target === expected.target), JSON.stringify(expected));
  });

  it('re-applying the file records nothing and keeps what an operator changed since: a block, a suspended lab, a suspended membership', async () => {
    assert.equal((await api(gh.issuer, ops, 'POST', `/users/${ids.john}/block`, { reason: 'test' })).status, 200);
    assert.equal((await api(gh.issuer, ops, 'PATCH', '/labs/lab-2', { status: 'suspended' })).status, 200);
    assert.equal((await api(gh.issuer, ops, 'PATCH', `/labs/lab-1/members/${ids.mary}`, { status: 'suspended' })).status, 200);

    await applyImport(fixture(), { actor: 'cli:reapply' });
    assert.deepEqual(await actions('cli:reapply'), []);
    assert.equal((await api(gh.issuer, ops, 'GET', `/users/${ids.john}`)).body.status, 'blocked');
    assert.equal((await api(gh.issuer, ops, 'GET', '/labs/lab-2')).body.status, 'suspended');
    assert.equal((await api(gh.issuer, ops, 'GET', `/labs/lab-1/members/${ids.mary}`)).body.status, 'suspended');
  });

  it('changes only what differs, audited as the given operator with before and after', async () => {
    const doc = fixture();
    const john = doc.users!.find((u) => u.username === 'john')!;
    john.given_name = 'Johnny';
    await applyImport(doc, { actor: 'cli:editor' });
    const rows = await gh.gatehouse.storage.db('audit_log').select('action', 'target', 'details').where({ actor: 'cli:editor' });
    assert.deepEqual(rows.map((r: { action: string; target: string }) => [r.action, r.target]), [['user.updated', `user:${ids.john}`]]);
    assert.equal(rows[0].details.before.givenName, 'John');
    assert.equal(rows[0].details.after.givenName, 'Johnny');
  });

  it('is held to the API\'s rules and applies all or nothing: a refused entry is named and nothing before it stays', async () => {
    const refusals: Array<[unknown, RegExp]> = [
      [{ labs: [{ id: 'lab-new', name: 'New' }], clients: [{ client_id: 'bad-redirect', redirect_uris: ['http://app.example/cb'], token_endpoint_auth_method: 'none' }] },
        /client bad-redirect: invalid client: redirectUris\.0 must use https/],
      [{ labs: [{ id: 'lab-new', name: 'New' }], users: [{ username: 'weak', password: 'short' }] }, /user weak: the password must be at least 12 characters long/],
      [{ labs: [{ id: 'lab-new', name: 'New' }], users: [{ username: 'nolab', memberships: [{ lab: 'lab-none', role: 'member' }] }] }, /user nolab: no such lab/],
      [{ labs: [{ id: 'lab-new', name: 'New' }], users: [{ username: 'badrole', roles: [{ resource: 'https://cms.example', role: 'pilot' }] }] }, /user badrole: the resource has no such role/],
    ];
    for (const [document, message] of refusals) {
      await assert.rejects(applyImport(parseImportDocument(JSON.stringify(document), 'doc.json'), { actor: 'cli:refused' }), message);
    }
    assert.equal((await api(gh.issuer, ops, 'GET', '/labs/lab-new')).status, 404, 'the lab of a refused document was not created');
    assert.deepEqual(await actions('cli:refused'), [], 'nor audited');
  });

  it('ends no access for a refused document: a user it would have blocked keeps their session and tokens', async () => {
    const tokens = await userTokens(gh.issuer, { scope: 'openid offline_access', resource: 'https://cms.example', user: sam });
    const document = { users: [{ username: 'sam', status: 'blocked', memberships: [{ lab: 'lab-1', role: 'member' }] }, { username: 'nolab', memberships: [{ lab: 'lab-none', role: 'member' }] }] };
    await assert.rejects(applyImport(parseImportDocument(JSON.stringify(document), 'doc.json'), { actor: 'cli:refused' }), /user nolab: no such lab/);
    assert.equal((await introspect(gh.issuer, tokens.access_token)).active, true, 'the access token is still active');
    assert.equal((await refresh(gh.issuer, tokens.refresh_token!)).status, 200, 'the refresh token still works');
  });

  it('ends the access of a user the document blocks once it has committed', async () => {
    const tokens = await userTokens(gh.issuer, { scope: 'openid offline_access', resource: 'https://cms.example', user: sam });
    await applyImport(parseImportDocument(JSON.stringify({ users: [{ username: 'sam', status: 'blocked', memberships: [{ lab: 'lab-1', role: 'member' }] }] }), 'doc.json'), { actor: 'cli:blocker' });
    assert.equal((await introspect(gh.issuer, tokens.access_token)).active, false);
    assert.equal((await refresh(gh.issuer, tokens.refresh_token!)).status, 400);
  });

  it('refuses a file holding text Postgres cannot store (a NUL, a lone surrogate), naming the field, before anything is applied', () => {
    for (const name of ['a\u0000b', 'x\ud800']) {
      assert.throws(
        () => parseImportDocument(JSON.stringify({ labs: [{ id: 'lab-x', name }] }), 'doc.json'),
        (error: unknown) => error instanceof ValidationError && error.fields.some((f) => f.field === 'labs.0.name'),
      );
    }
  });
});
