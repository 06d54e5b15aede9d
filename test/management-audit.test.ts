import { strict as assert } from 'node:assert';

import { backend, CMS, createSandbox, mode, postForm, startTestGatehouse, type Sandbox, type TestGatehouse } from './helpers/harness.js';
import { createTokenCountRepository } from '../src/storage/postgres/token-count-repository.js';
import { api, directoryService, lena, opsService, personToken, serviceToken } from './helpers/management-api.js';
import { userTokens } from './helpers/user-tokens.js';

interface Entry { id: number; at: string; actor: string; action: string; target?: string; details: Record<string, unknown>; requestId?: string; ip?: string; hash: string; prevHash: string }

const GENESIS = '0'.repeat(64);

/** The API caller of these tests (the fixture import's own changes are audited as `import:…`). */
const OPS = 'client:ops-service';

describe(`management API: audit query, export and statistics (${mode})`, () => {
  let gh: TestGatehouse;
  let ops: string;
  let directory: string;

  const query = async (search: string) => {
    const response = await api(gh.issuer, ops, 'GET', `/audit${search}`);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body as { items: Entry[]; total: number; limit: number; offset: number };
  };
  const exportLines = async (search = '', token = ops) => {
    const response = await fetch(`${gh.issuer}/api/v1/audit/export${search}`, { headers: { authorization: `Bearer ${token}` } });
    const text = await response.text();
    return { status: response.status, type: response.headers.get('content-type'), text, entries: response.ok ? text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Entry) : [] };
  };
  const issueCmsToken = async () => {
    const { status, body } = await postForm(`${gh.issuer}/token`, { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }, backend);
    assert.equal(status, 200, JSON.stringify(body));
  };
  const statistics = async (token = ops) => {
    const response = await api(gh.issuer, token, 'GET', '/statistics');
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body;
  };
  const issuedTo = (stats: { tokensIssued: Array<{ clientId: string; lastHour: number; lastDay: number; last30Days: number }> }, clientId: string) =>
    stats.tokensIssued.find((t) => t.clientId === clientId) ?? { clientId, lastHour: 0, lastDay: 0, last30Days: 0 };

  before(async () => {
    gh = await startTestGatehouse();
    ops = await serviceToken(gh.issuer, opsService);
    directory = await serviceToken(gh.issuer, directoryService, 'users:read labs:read');
    for (const id of ['audit-a', 'audit-b', 'audit-c']) {
      const created = await api(gh.issuer, ops, 'POST', '/labs', { id, name: `Audit ${id}` });
      assert.equal(created.status, 201);
    }
    assert.equal((await api(gh.issuer, ops, 'PATCH', '/labs/audit-b', { name: 'Audit renamed' })).status, 200);
  });
  after(async () => gh?.stop());

  it('filters the audit log by action, actor, target prefix and time, newest first with a total', async () => {
    const created = await query(`?action=lab.created&actor=${OPS}&limit=2`);
    assert.equal(created.total, 3);
    assert.deepEqual(created.items.map((e) => e.target), ['lab:audit-c', 'lab:audit-b']);
    assert.ok(created.items[0]!.id > created.items[1]!.id);
    const entry = created.items[0]!;
    assert.equal(entry.actor, 'client:ops-service');
    assert.equal((entry.details.after as { name: string }).name, 'Audit audit-c');
    assert.ok(entry.requestId && entry.ip && /^[0-9a-f]{64}$/.test(entry.hash) && /^[0-9a-f]{64}$/.test(entry.prevHash));

    const rest = await query(`?action=lab.created&actor=${OPS}&limit=2&offset=2`);
    assert.deepEqual(rest.items.map((e) => e.target), ['lab:audit-a']);
    assert.equal(rest.total, 3);

    assert.deepEqual((await query('?target=lab:audit-b')).items.map((e) => e.action), ['lab.updated', 'lab.created']);
    assert.equal((await query('?target=lab:audit-')).total, 4, 'target is a prefix');
    assert.equal((await query('?target=lab:audit_')).total, 0, 'LIKE wildcards in the prefix match themselves');
    assert.equal((await query('?action=lab.*&actor=client:ops-service')).total, 4);
    assert.equal((await query('?actor=client:nobody')).total, 0);

    const at = Date.parse(entry.at);
    assert.equal((await query(`?action=lab.created&actor=${OPS}&from=${new Date(at + 60_000).toISOString()}`)).total, 0);
    assert.equal((await query(`?action=lab.created&actor=${OPS}&to=${new Date(at - 60_000).toISOString()}`)).total, 0);
    assert.equal((await query(`?action=lab.created&actor=${OPS}&from=${new Date(at - 60_000).toISOString()}&to=${new Date(at + 60_000).toISOString()}`)).total, 3);

    // A cursor: everything older than the newest entry of the first page.
    const older = await query(`?action=lab.created&actor=${OPS}&before=${entry.id}`);
    assert.deepEqual(older.items.map((e) => e.target), ['lab:audit-b', 'lab:audit-a']);

    const bad = await api(gh.issuer, ops, 'GET', '/audit?from=yesterday&limit=500');
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort(), ['#/query/from', '#/query/limit']);
  });

  it('exports the log as JSON lines in id order whose hashes chain from the first row', async () => {
    const all = await exportLines();
    assert.equal(all.status, 200);
    assert.match(all.type ?? '', /^application\/x-ndjson/);
    assert.ok(all.text.endsWith('\n'));
    const total = (await query('?limit=1')).total;
    assert.equal(all.entries.length, total);
    assert.equal(all.entries[0]!.prevHash, GENESIS);
    for (let i = 1; i < all.entries.length; i += 1) {
      assert.ok(all.entries[i]!.id > all.entries[i - 1]!.id);
      assert.equal(all.entries[i]!.prevHash, all.entries[i - 1]!.hash, `row ${all.entries[i]!.id} links to the row before it`);
    }

    const filtered = await exportLines(`?action=lab.created&actor=${OPS}`);
    assert.deepEqual(filtered.entries.map((e) => e.target), ['lab:audit-a', 'lab:audit-b', 'lab:audit-c']);
  });

  it('the audit log is for platform admins and services with audit:read: lab admins and other services get 403', async () => {
    assert.equal((await api(gh.issuer, directory, 'GET', '/audit')).status, 403);
    assert.equal((await exportLines('', directory)).status, 403);
    assert.equal((await api(gh.issuer, directory, 'GET', '/statistics')).status, 403);
    const admin = await personToken(gh.issuer, lena, { lab: 'lab-1' });
    assert.equal((await api(gh.issuer, admin, 'GET', '/audit')).status, 403);
    assert.equal((await exportLines('', admin)).status, 403);
  });

  it('statistics count users, labs, active sessions and the access tokens issued per client', async () => {
    const db = gh.gatehouse.storage.db;
    const before = await statistics();
    const users = await db('users').select('status');
    assert.deepEqual(before.users, {
      total: users.length, active: users.filter((u: { status: string }) => u.status === 'active').length, blocked: users.filter((u: { status: string }) => u.status === 'blocked').length,
    });
    assert.ok(before.users.blocked >= 1);
    const labs = await db('labs').select('status');
    assert.deepEqual(before.labs, {
      total: labs.length, active: labs.filter((l: { status: string }) => l.status === 'active').length, suspended: labs.filter((l: { status: string }) => l.status === 'suspended').length,
    });

    for (let i = 0; i < 3; i += 1) await issueCmsToken();
    await userTokens(gh.issuer);
    const after = await statistics();
    const cms = issuedTo(after, backend.id);
    assert.deepEqual(cms, { clientId: backend.id, lastHour: issuedTo(before, backend.id).lastHour + 3, lastDay: issuedTo(before, backend.id).lastDay + 3, last30Days: issuedTo(before, backend.id).last30Days + 3 });
    assert.ok(issuedTo(after, 'portal').lastHour > issuedTo(before, 'portal').lastHour, 'tokens from the authorization code grant count too');
    assert.ok(issuedTo(after, opsService.id).lastHour >= 1);
    assert.equal(after.activeSessions, before.activeSessions + 1, 'the login added one session');
    const [john] = await db('users').where({ username: 'john' }).pluck('id');
    const { body: { sessions } } = await api(gh.issuer, ops, 'GET', `/users/${john}/sessions`);
    assert.equal((await api(gh.issuer, ops, 'DELETE', `/users/${john}/sessions/${sessions[0].id}`)).status, 204);
    assert.equal((await statistics()).activeSessions, before.activeSessions, 'an ended session no longer counts');
    const stored = await db('token_issuance').where({ client_id: backend.id }).sum({ n: 'count' }).first();
    assert.equal(Number(stored?.n), cms.lastHour, 'the counts are in the database');
  });

  it('a lab admin\'s statistics cover their lab only and leave out token counts', async () => {
    const token = await personToken(gh.issuer, lena, { lab: 'lab-1' });
    const stats = await statistics(token);
    const members = await gh.gatehouse.storage.db('memberships').join('users', 'users.id', 'memberships.user_id').where('lab_id', 'lab-1').select('users.status');
    assert.equal(stats.users.total, members.length);
    assert.equal(stats.users.blocked, members.filter((m: { status: string }) => m.status === 'blocked').length);
    assert.deepEqual(stats.labs, { total: 1, active: 1, suspended: 0 });
    assert.ok(stats.activeSessions >= 1, 'lena\'s own login is a session of a lab-1 member');
    const memberIds = await gh.gatehouse.storage.db('memberships').where('lab_id', 'lab-1').pluck('user_id');
    const listed = await Promise.all(memberIds.map(async (id: string) => (await api(gh.issuer, ops, 'GET', `/users/${id}/sessions`)).body.sessions.length as number));
    assert.equal(stats.activeSessions, listed.reduce((a, b) => a + b, 0), 'the sessions of lab-1\'s members, as their lists show');
    assert.equal(stats.tokensIssued, undefined);
  });
});

describe(`token counts survive a restart (${mode})`, () => {
  let sandbox: Sandbox;
  before(async () => { sandbox = await createSandbox(); });
  after(async () => sandbox?.dispose());

  it('counts not yet flushed are written when the server closes', async () => {
    let gh = await startTestGatehouse({}, sandbox);
    try {
      for (let i = 0; i < 2; i += 1) {
        const { status } = await postForm(`${gh.issuer}/token`, { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }, backend);
        assert.equal(status, 200);
      }
    } finally {
      await gh.stop();
    }
    gh = await startTestGatehouse({}, sandbox);
    try {
      const rows = await gh.gatehouse.storage.db('token_issuance').where({ client_id: backend.id }).sum({ n: 'count' }).first();
      assert.equal(Number(rows?.n), 2);
      // The sweep keeps 31 days of counts and drops older hours.
      const counts = createTokenCountRepository(gh.gatehouse.storage.db);
      assert.equal(await counts.deleteBefore(new Date(Date.now() - 31 * 86_400_000)), 0);
      // Both tokens may straddle an hour boundary: every row of the counts goes, however many.
      const hours = Number((await gh.gatehouse.storage.db('token_issuance').count({ n: '*' }).first())?.n);
      assert.ok(hours >= 1);
      assert.equal(await counts.deleteBefore(new Date(Date.now() + 3_600_000)), hours);
    } finally {
      await gh.stop();
    }
  });
});
