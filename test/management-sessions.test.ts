import { strict as assert } from 'node:assert';

import { CMS, mode, portal, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { createGrantOriginRepository } from '../src/storage/postgres/grant-origin-repository.js';
import { api, directoryService, lena, opsService, personToken, serviceToken, userIdsByName } from './helpers/management-api.js';
import { introspect, refresh, userTokens } from './helpers/user-tokens.js';

interface SessionView { id: string; loginAt: string; expiresAt?: string; clients: string[] }
interface GrantView { id: string; clientId: string; createdAt: string; lastUsedAt: string; labId?: string; ip?: string; userAgent?: string; expiresAt?: string }

describe(`management API: sessions and grants (${mode})`, () => {
  let gh: TestGatehouse;
  let ops: string;
  let ids: Record<string, string>;

  const listOf = async (userId: string, token = ops): Promise<{ sessions: SessionView[]; grants: GrantView[] }> => {
    const response = await api(gh.issuer, token, 'GET', `/users/${userId}/sessions`);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body;
  };
  /** Logs john in through the browser flow; returns his tokens and the grant and session that login created. */
  const johnLogsIn = async (options: Parameters<typeof userTokens>[1] = {}) => {
    const before = await listOf(ids.john!);
    const tokens = await userTokens(gh.issuer, options);
    const after = await listOf(ids.john!);
    const grant = after.grants.find((g) => !before.grants.some((b) => b.id === g.id));
    const session = after.sessions.find((s) => !before.sessions.some((b) => b.id === s.id));
    assert.ok(grant && session, 'the login added a grant and a session');
    return { tokens, grant, session };
  };
  const auditRows = (target: string) => gh.gatehouse.storage.db('audit_log').select('action', 'actor', 'target', 'details').where('target', target).orderBy('id');

  before(async () => {
    gh = await startTestGatehouse();
    ops = await serviceToken(gh.issuer, opsService);
    ids = await userIdsByName(gh.gatehouse.storage.db);
  });
  after(async () => gh?.stop());

  it('lists a user\'s browser session and grant after a login, with the client, the IP and user agent it was consented from', async () => {
    const started = Date.now() - 1000;
    const { grant, session } = await johnLogsIn();
    assert.equal(grant.clientId, portal.id);
    assert.match(grant.ip ?? '', /^(::ffff:)?127\.0\.0\.1$/);
    assert.ok(grant.userAgent && grant.userAgent.length > 0, 'the user agent of the consenting browser is kept');
    assert.ok(Date.parse(grant.createdAt) >= started - 1000);
    assert.ok(Date.parse(grant.lastUsedAt) >= Date.parse(grant.createdAt));
    assert.ok(Date.parse(grant.expiresAt!) > Date.now());
    assert.deepEqual(session.clients, [portal.id]);
    assert.ok(Date.parse(session.loginAt) >= started - 1000);
    assert.ok(Date.parse(session.expiresAt!) > Date.now());
    // The session id shown is its uid, not the storage id its cookie carries.
    assert.equal(await gh.gatehouse.storage.store.getJson(`oidc:Session:${session.id}`), undefined);

    const origin = await gh.gatehouse.storage.db('grant_origins').first().where({ grant_id: grant.id });
    assert.equal(origin.account_id, ids.john);
    assert.equal(origin.client_id, portal.id);
  });

  it('revoking one grant makes its refresh token fail while the user\'s other grant keeps working; the revocation is audited', async () => {
    const first = await johnLogsIn({ scope: 'openid offline_access cases:read', resource: CMS });
    const second = await johnLogsIn();
    assert.equal(first.tokens.access_token.split('.').length, 3, 'the first grant\'s access token is a JWT');
    assert.equal((await introspect(gh.issuer, first.tokens.access_token)).active, true);

    const revoked = await api(gh.issuer, ops, 'DELETE', `/users/${ids.john}/grants/${first.grant.id}`);
    assert.equal(revoked.status, 204, JSON.stringify(revoked.body));

    assert.equal((await refresh(gh.issuer, first.tokens.refresh_token!)).status, 400);
    assert.equal((await introspect(gh.issuer, first.tokens.access_token)).active, false);
    const still = await refresh(gh.issuer, second.tokens.refresh_token!);
    assert.equal(still.status, 200, JSON.stringify(still.body));

    const listed = await listOf(ids.john!);
    assert.ok(!listed.grants.some((g) => g.id === first.grant.id));
    const kept = listed.grants.find((g) => g.id === second.grant.id)!;
    assert.ok(Date.parse(kept.lastUsedAt) >= Date.parse(second.grant.lastUsedAt), 'the refresh counts as use');
    assert.equal((await api(gh.issuer, ops, 'DELETE', `/users/${ids.john}/grants/${first.grant.id}`)).status, 404);

    // The sweep drops the origin of the revoked grant and keeps the live one's.
    assert.ok((await createGrantOriginRepository(gh.gatehouse.storage.db).deleteOrphans()) >= 1);
    const origins = await gh.gatehouse.storage.db('grant_origins').whereIn('grant_id', [first.grant.id, second.grant.id]).pluck('grant_id');
    assert.deepEqual(origins, [second.grant.id]);

    const rows = await auditRows(`user:${ids.john}/grant:${first.grant.id}`);
    assert.deepEqual(rows.map((r: { action: string }) => r.action), ['grant.revoked']);
    assert.equal(rows[0].actor, 'client:ops-service');
  });

  it('a grant or session of another user answers 404 under someone else\'s id and stays intact', async () => {
    const { tokens, grant, session } = await johnLogsIn();
    const notJohn = ids.mary!;
    const grantElsewhere = await api(gh.issuer, ops, 'DELETE', `/users/${notJohn}/grants/${grant.id}`);
    const sessionElsewhere = await api(gh.issuer, ops, 'DELETE', `/users/${notJohn}/sessions/${session.id}`);
    const unknown = await api(gh.issuer, ops, 'DELETE', `/users/${notJohn}/grants/no-such-grant`);
    assert.equal(grantElsewhere.status, 404);
    assert.equal(sessionElsewhere.status, 404);
    assert.deepEqual({ ...grantElsewhere.body, request_id: undefined }, { ...unknown.body, request_id: undefined });
    assert.equal((await api(gh.issuer, ops, 'GET', '/users/no-such-user/sessions')).status, 404);

    const listed = await listOf(ids.john!);
    assert.ok(listed.grants.some((g) => g.id === grant.id));
    assert.ok(listed.sessions.some((s) => s.id === session.id));
    assert.equal((await refresh(gh.issuer, tokens.refresh_token!)).status, 200);
  });

  it('a lab admin reaches their lab\'s members and gets for other users exactly what an unknown user gets', async () => {
    const unlabelled = await johnLogsIn();
    // mary is an admin of lab-1 and a viewer in lab-2: her lab-2 grant is none of lena's business.
    const maryLab1 = await personToken(gh.issuer, { username: 'mary', password: 'pass123-long-enough' }, { lab: 'lab-1' });
    const maryLab2 = await personToken(gh.issuer, { username: 'mary', password: 'pass123-long-enough' }, { lab: 'lab-2' });
    assert.ok(maryLab1 && maryLab2);
    const token = await personToken(gh.issuer, lena, { lab: 'lab-1' });
    const johns = await listOf(ids.john!, token);
    assert.ok(johns.sessions.length > 0);
    assert.ok(johns.grants.some((g) => g.id === unlabelled.grant.id), 'grants acting in no lab are visible');
    const marys = await listOf(ids.mary!, token);
    const allOfMarys = await listOf(ids.mary!);
    assert.deepEqual(allOfMarys.grants.map((g) => g.labId).sort(), ['lab-1', 'lab-2']);
    assert.deepEqual(marys.grants.map((g) => g.labId), ['lab-1'], 'only grants acting in lena\'s lab (or none)');
    const lab2Grant = allOfMarys.grants.find((g) => g.labId === 'lab-2')!;
    assert.equal((await api(gh.issuer, token, 'DELETE', `/users/${ids.mary}/grants/${lab2Grant.id}`)).status, 404);
    // Her lab-2 browser session is listed (sessions are the user's), but not which application it opened there.
    assert.deepEqual(allOfMarys.sessions.map((x) => x.clients.join()).sort(), ['portal', 'portal']);
    assert.deepEqual(marys.sessions.map((x) => x.clients.join()).sort(), ['', 'portal']);

    const otto = await api(gh.issuer, token, 'GET', `/users/${ids.otto}/sessions`);
    const nobody = await api(gh.issuer, token, 'GET', '/users/no-such-user/sessions');
    assert.equal(otto.status, 404);
    assert.deepEqual({ ...otto.body, request_id: undefined }, { ...nobody.body, request_id: undefined });
    assert.equal((await api(gh.issuer, token, 'DELETE', `/users/${ids.otto}/sessions`)).status, 404);

    const directory = await serviceToken(gh.issuer, directoryService, 'users:read labs:read');
    assert.equal((await api(gh.issuer, directory, 'GET', `/users/${ids.john}/sessions`)).status, 200);
    assert.equal((await api(gh.issuer, directory, 'DELETE', `/users/${ids.john}/sessions`)).status, 403, 'ending sessions needs users:write');
  });

  it('ending one browser session removes only it; signing out everywhere ends every session and grant', async () => {
    const { tokens, session } = await johnLogsIn();
    const ended = await api(gh.issuer, ops, 'DELETE', `/users/${ids.john}/sessions/${session.id}`);
    assert.equal(ended.status, 204, JSON.stringify(ended.body));
    let listed = await listOf(ids.john!);
    assert.ok(!listed.sessions.some((s) => s.id === session.id));
    assert.ok(listed.sessions.length > 0, 'john\'s other sessions remain');
    assert.equal((await api(gh.issuer, ops, 'DELETE', `/users/${ids.john}/sessions/${session.id}`)).status, 404);
    assert.deepEqual((await auditRows(`user:${ids.john}/session:${session.id}`)).map((r: { action: string }) => r.action), ['session.revoked']);

    const all = await api(gh.issuer, ops, 'DELETE', `/users/${ids.john}/sessions`);
    assert.equal(all.status, 204, JSON.stringify(all.body));
    listed = await listOf(ids.john!);
    assert.deepEqual(listed, { sessions: [], grants: [] });
    assert.equal((await refresh(gh.issuer, tokens.refresh_token!)).status, 400);
    const rows = await auditRows(`user:${ids.john}`);
    const record = rows.find((r: { action: string }) => r.action === 'sessions.revoked_all');
    assert.ok(record, 'sign-out everywhere is audited');
    const details = typeof record.details === 'string' ? JSON.parse(record.details) : record.details;
    assert.ok(details.before.grants.length > 0);
  });
});
