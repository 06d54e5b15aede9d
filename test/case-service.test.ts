import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';

import { decodeJwt, decodeProtectedHeader, type JSONWebKeySet } from 'jose';

import { createCaseService } from '../examples/case-service/case-service.js';
import { backend, CMS, createSandbox, fixtureImport, freePort, john, mode, postForm, runCli, startTestGatehouse, type Sandbox, type TestGatehouse } from './helpers/harness.js';
import { refresh, userTokens } from './helpers/user-tokens.js';

const mary = { username: 'mary', password: 'pass123-long-enough' };
// The fixture has nobody who may write in lab-2, so this test's import adds one: lea, a lab-2 member.
const lena = { username: 'lea', password: 'pass123-long-enough' };
const scope = 'openid labs offline_access cases:read cases:write';
// The verifier refetches the JWKS for an unknown kid at most once per cooldown (default 30 s);
// a short one keeps the rotation test fast. See examples/case-service/README.md.
const JWKS_COOLDOWN_MS = 1000;

interface Reply { status: number; body: Record<string, unknown>; headers: Headers }
type Case = { id: string; lab_id: string; patient_name: string; case_type: string; doctor: string; product: string; created_by: string; created_at: string };

const newCase = (patient: string) => ({ patient_name: patient, case_type: 'crown', doctor: 'Dr. Ortega', product: 'zirconia' });

describe(`example case service on @gatehouse/verifier (${mode})`, () => {
  let box: Sandbox;
  let gh: TestGatehouse;
  let server: Server;
  let base: string;
  const serviceErrors: unknown[] = [];
  const tokens = {} as Record<'john' | 'maryLab1' | 'maryLab2' | 'lena', string>;

  before(async () => {
    box = await createSandbox();
    const doc = JSON.parse(readFileSync(fixtureImport, 'utf8')) as { users: unknown[] };
    doc.users.push({
      username: lena.username, email: 'lea@test.com', password: lena.password,
      memberships: [{ lab: 'lab-2', role: 'member' }], roles: [{ resource: CMS, role: 'technician' }],
    });
    const importFile = join(box.dir, 'import.json');
    writeFileSync(importFile, JSON.stringify(doc));
    gh = await startTestGatehouse({ GATEHOUSE_IMPORT: importFile }, box);

    const port = await freePort();
    const { app } = createCaseService({ issuer: gh.issuer, audience: CMS, jwksCooldownMs: JWKS_COOLDOWN_MS, onError: (e) => serviceErrors.push(e) });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(port, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${port}`;

    tokens.john = (await userTokens(gh.issuer, { scope, resource: CMS, user: john })).access_token;
    const maryLab1 = await userTokens(gh.issuer, { scope, resource: CMS, user: mary, extra: { lab: 'lab-1' } });
    tokens.maryLab1 = maryLab1.access_token;
    const switched = await refresh(gh.issuer, maryLab1.refresh_token!, { lab: 'lab-2' });
    assert.equal(switched.status, 200, JSON.stringify(switched.body));
    tokens.maryLab2 = String(switched.body.access_token);
    tokens.lena = (await userTokens(gh.issuer, { scope, resource: CMS, user: lena })).access_token;

    // The premise of every test below: who acts where, as what.
    const seat = (t: string) => { const c = decodeJwt(t); return [c.lab_id, c.lab_role]; };
    assert.deepEqual(seat(tokens.john), ['lab-1', 'member']);
    assert.deepEqual(seat(tokens.maryLab1), ['lab-1', 'admin']);
    assert.deepEqual(seat(tokens.maryLab2), ['lab-2', 'viewer']);
    assert.deepEqual(seat(tokens.lena), ['lab-2', 'member']);
  });

  after(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await gh?.stop();
    await box?.dispose();
  });

  afterEach(() => assert.deepEqual(serviceErrors, [], 'the case service hit no unexpected (500) errors'));

  async function api(method: string, path: string, token?: string, body?: unknown, contentType = 'application/json'): Promise<Reply> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': contentType } : {}) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: response.headers };
  }

  async function create(token: string, patient: string): Promise<Case> {
    const { status, body } = await api('POST', '/api/cases', token, newCase(patient));
    assert.equal(status, 201, JSON.stringify(body));
    return body as unknown as Case;
  }

  const listIds = async (token: string) => {
    const { status, body } = await api('GET', '/api/cases', token);
    assert.equal(status, 200, JSON.stringify(body));
    return (body.cases as Case[]).map((c) => c.id);
  };

  it('answers /healthz without a token', async () => {
    const { status, body } = await api('GET', '/healthz');
    assert.equal(status, 200);
    assert.deepEqual(body, { status: 'ok' });
  });

  it('refuses a request without a token with 401 and a Bearer challenge, and a bad token with invalid_token', async () => {
    for (const [method, path] of [['GET', '/api/cases'], ['GET', `/api/cases/${randomUUID()}`], ['POST', '/api/cases'], ['DELETE', `/api/cases/${randomUUID()}`]] as const) {
      const missing = await api(method, path, undefined, method === 'POST' ? newCase('Nobody') : undefined);
      assert.equal(missing.status, 401, `${method} ${path}`);
      assert.equal(missing.headers.get('www-authenticate'), `Bearer realm="${CMS}"`);
      assert.equal(missing.body.error, 'token_missing');
    }
    const forged = await api('GET', '/api/cases', `${tokens.john.slice(0, -4)}AAAA`);
    assert.equal(forged.status, 401);
    assert.match(forged.headers.get('www-authenticate')!, /^Bearer realm="https:\/\/cms\.example", error="invalid_token"/);
  });

  it('a member creates a case in the lab of the token; lab and author come from the token, not the body', async () => {
    const created = await create(tokens.john, 'Ann Lee');
    assert.equal(created.lab_id, 'lab-1');
    assert.equal(created.created_by, decodeJwt(tokens.john).sub);
    assert.match(created.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const fetched = await api('GET', `/api/cases/${created.id}`, tokens.maryLab1);
    assert.deepEqual(fetched.body, created);

    const smuggled = await api('POST', '/api/cases', tokens.john, { ...newCase('Eve'), lab_id: 'lab-2', created_by: 'someone' });
    assert.equal(smuggled.status, 400);
    assert.deepEqual((smuggled.body.errors as Array<{ pointer: string }>).map((e) => e.pointer).sort(), ['/created_by', '/lab_id']);
  });

  it('rejects invalid case bodies with 400 problem+json naming each field', async () => {
    const before = await listIds(tokens.john);
    const cases: Array<[unknown, string[]]> = [
      [{}, ['/case_type', '/doctor', '/patient_name', '/product']],
      [{ ...newCase('x'), patient_name: 'x'.repeat(201), case_type: 'y'.repeat(51) }, ['/case_type', '/patient_name']],
      [{ ...newCase('x'), doctor: '   ', product: 42 }, ['/doctor', '/product']],
      [[newCase('x')], ['/']],
    ];
    for (const [body, pointers] of cases) {
      const reply = await api('POST', '/api/cases', tokens.john, body);
      assert.equal(reply.status, 400, JSON.stringify(body));
      assert.equal(reply.headers.get('content-type'), 'application/problem+json');
      assert.equal(reply.body.code, 'validation_failed');
      assert.deepEqual([...new Set((reply.body.errors as Array<{ pointer: string }>).map((e) => e.pointer))].sort(), pointers, JSON.stringify(reply.body));
    }
    const malformed = await api('POST', '/api/cases', tokens.john, '{"patient_name": ');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.headers.get('content-type'), 'application/problem+json');
    const form = await api('POST', '/api/cases', tokens.john, 'patient_name=x', 'application/x-www-form-urlencoded');
    assert.equal(form.status, 415);
    assert.deepEqual(await listIds(tokens.john), before, 'the invalid requests created nothing');
  });

  it('enforces lab roles: a viewer cannot create, a member cannot delete, a lab admin can', async () => {
    const lab2Before = await listIds(tokens.maryLab2);
    const viewer = await api('POST', '/api/cases', tokens.maryLab2, newCase('Vic'));
    assert.equal(viewer.status, 403);
    assert.equal(viewer.body.error, 'insufficient_role');
    assert.match(viewer.headers.get('www-authenticate')!, /error="insufficient_scope"/);
    assert.deepEqual(await listIds(tokens.maryLab2), lab2Before, 'the viewer created nothing');

    const target = await create(tokens.john, 'Del Toro');
    const member = await api('DELETE', `/api/cases/${target.id}`, tokens.john);
    assert.equal(member.status, 403);
    assert.equal(member.body.error, 'insufficient_role');
    assert.equal((await api('GET', `/api/cases/${target.id}`, tokens.john)).status, 200, 'still there');

    const admin = await api('DELETE', `/api/cases/${target.id}`, tokens.maryLab1);
    assert.equal(admin.status, 204);
    assert.equal((await api('GET', `/api/cases/${target.id}`, tokens.john)).status, 404, 'gone');
    assert.equal((await api('DELETE', `/api/cases/${target.id}`, tokens.maryLab1)).status, 404, 'a second delete finds nothing');
  });

  it('a token without a lab (client_credentials) is refused with 403 insufficient_lab', async () => {
    const { body } = await postForm(`${gh.issuer}/token`, { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }, backend);
    const reply = await api('GET', '/api/cases', String(body.access_token));
    assert.equal(reply.status, 403);
    assert.equal(reply.body.error, 'insufficient_lab');
  });

  it('lab A cannot see or touch lab B cases: listing, by id, guessed ids and DELETE all answer as if they did not exist', async () => {
    const lab1Case = await create(tokens.john, 'Lab One Patient');
    const lab2Case = await create(tokens.lena, 'Lab Two Patient');
    assert.equal(lab2Case.lab_id, 'lab-2');

    for (const token of [tokens.john, tokens.maryLab1]) {
      const ids = await listIds(token);
      assert.ok(ids.includes(lab1Case.id));
      assert.ok(!ids.includes(lab2Case.id), 'lab-1 listing shows no lab-2 case');
    }
    const lab2Ids = await listIds(tokens.lena);
    assert.deepEqual(lab2Ids, [lab2Case.id], 'lab-2 listing shows only lab-2 cases');

    // A case of another lab is a 404 identical to one that never existed: no existence oracle.
    const neverExisted = await api('GET', `/api/cases/${randomUUID()}`, tokens.john);
    assert.equal(neverExisted.status, 404);
    for (const [token, foreign] of [[tokens.john, lab2Case.id], [tokens.maryLab1, lab2Case.id], [tokens.lena, lab1Case.id], [tokens.maryLab2, lab1Case.id]] as const) {
      const reply = await api('GET', `/api/cases/${foreign}`, token);
      assert.equal(reply.status, 404);
      assert.deepEqual(reply.body, neverExisted.body);
    }
    for (const guess of [randomUUID(), '1', 'lab-2', lab2Case.id.toUpperCase(), `${lab2Case.id}x`, encodeURIComponent(`../${lab2Case.id}`)]) {
      assert.equal((await api('GET', `/api/cases/${guess}`, tokens.maryLab1)).status, 404, guess);
      assert.equal((await api('DELETE', `/api/cases/${guess}`, tokens.maryLab1)).status, 404, guess);
    }

    // mary is an admin in lab-1, so the role check passes; the lab filter is what stops her.
    const crossDelete = await api('DELETE', `/api/cases/${lab2Case.id}`, tokens.maryLab1);
    assert.equal(crossDelete.status, 404);
    assert.deepEqual(crossDelete.body, neverExisted.body);
    assert.deepEqual(await listIds(tokens.lena), [lab2Case.id], 'the lab-2 case survived');
    assert.equal((await api('GET', `/api/cases/${lab2Case.id}`, tokens.maryLab2)).status, 200, 'and lab-2 users still see it');
  });

  it('switching lab by refresh (lab=lab-2) shows the other lab cases and hides the first lab ones', async () => {
    const { refresh_token: refreshToken, access_token: inLab1 } = await userTokens(gh.issuer, { scope, resource: CMS, user: mary, extra: { lab: 'lab-1' } });
    const lab1Ids = await listIds(inLab1);
    const lab2Ids = await listIds(tokens.lena);
    assert.ok(lab1Ids.length > 0 && lab2Ids.length > 0, 'both labs hold cases');

    const switched = await refresh(gh.issuer, refreshToken!, { lab: 'lab-2' });
    assert.equal(switched.status, 200, JSON.stringify(switched.body));
    const inLab2 = String(switched.body.access_token);
    assert.deepEqual((await listIds(inLab2)).sort(), [...lab2Ids].sort());
    for (const id of lab1Ids) assert.equal((await api('GET', `/api/cases/${id}`, inLab2)).status, 404);
    assert.equal((await api('GET', `/api/cases/${lab2Ids[0]}`, inLab2)).status, 200);

    const back = await refresh(gh.issuer, String(switched.body.refresh_token), { lab: 'lab-1' });
    assert.equal(back.status, 200, JSON.stringify(back.body));
    assert.deepEqual((await listIds(String(back.body.access_token))).sort(), [...lab1Ids].sort(), 'and back again');
  });

  it('after `gatehouse keys rotate` the running service accepts tokens of the new key and still those issued before', async () => {
    const before = tokens.john;
    const oldKid = decodeProtectedHeader(before).kid!;
    assert.equal((await api('GET', '/api/cases', before)).status, 200);
    // The service's keys were fetched no later than now; the verifier refetches for a new kid
    // only once its cooldown has passed since then.
    const cooledDownAt = Date.now() + JWKS_COOLDOWN_MS;

    const rotated = await runCli(['keys', 'rotate', '--json'], { GATEHOUSE_KEYS_DIR: gh.config.keysDir, NODE_ENV: 'test' });
    assert.equal(rotated.code, 0, rotated.stderr);
    const { added } = JSON.parse(rotated.stdout) as { added: string };
    assert.notEqual(added, oldKid);
    const deadline = Date.now() + 10_000;
    const publishedKids = async () => ((await (await fetch(`${gh.issuer}/jwks`)).json()) as JSONWebKeySet).keys.map((k) => k.kid);
    while (!(await publishedKids()).includes(added)) {
      assert.ok(Date.now() < deadline, `Gatehouse did not publish ${added} within 10 s`);
      await new Promise((r) => setTimeout(r, 100));
    }

    const after = (await userTokens(gh.issuer, { scope, resource: CMS, user: john })).access_token;
    assert.equal(decodeProtectedHeader(after).kid, added, 'the new key signs');
    await new Promise((r) => setTimeout(r, Math.max(0, cooledDownAt - Date.now())));

    const withNew = await api('GET', '/api/cases', after);
    assert.equal(withNew.status, 200, JSON.stringify(withNew.body));
    const withOld = await api('GET', '/api/cases', before);
    assert.equal(withOld.status, 200, JSON.stringify(withOld.body));
    assert.deepEqual(withNew.body, withOld.body);
    const created = await create(after, 'After Rotation');
    assert.equal((await api('GET', `/api/cases/${created.id}`, before)).status, 200);
  });
});
