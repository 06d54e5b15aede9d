import { strict as assert } from 'node:assert';

import { decodeProtectedHeader, type JSONWebKeySet } from 'jose';

import { backend, CMS, mode, postForm, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { api, opsService, root, serviceToken } from './helpers/management-api.js';
import { userTokens } from './helpers/user-tokens.js';
import { eventually } from './helpers/eventually.js';

interface Series { clientId: string; counts: number[] }
interface KeyView { kid: string; alg: string; status: string; createdAt: string; activatesAt?: string; retiredAt?: string }

/** What the console's dashboard, audit and signing-key screens read: activity over time, the audit chain's state, the signing keys. */
describe(`management API: activity, audit verification, signing keys (${mode})`, () => {
  let gh: TestGatehouse;
  let ops: string;

  const cmsToken = async () => {
    const { status, body } = await postForm(`${gh.issuer}/token`, { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }, backend);
    assert.equal(status, 200, JSON.stringify(body));
    return String(body.access_token);
  };

  before(async () => {
    gh = await startTestGatehouse();
    ops = await serviceToken(gh.issuer, opsService);
  });
  after(async () => gh?.stop());

  it('answers sign-ins and tokens per client per hour, the last bucket holding now', async () => {
    await userTokens(gh.issuer, { user: root, scope: 'openid' });
    await userTokens(gh.issuer, { user: root, scope: 'openid' });
    for (let i = 0; i < 3; i += 1) await cmsToken();
    const response = await api(gh.issuer, ops, 'GET', '/statistics/activity?period=24h');
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const { bucket, buckets, signIns, tokensIssued } = response.body as { bucket: string; buckets: string[]; signIns: Series[]; tokensIssued: Series[] };
    assert.equal(bucket, 'hour');
    assert.equal(buckets.length, 24);
    const last = Date.parse(buckets.at(-1)!);
    assert.ok(last <= Date.now() && Date.now() - last < 3_600_000, 'the last bucket is the current hour');
    assert.equal(Date.parse(buckets[1]!) - Date.parse(buckets[0]!), 3_600_000);
    const portal = signIns.find((s) => s.clientId === 'portal');
    assert.ok(portal, JSON.stringify(signIns));
    assert.equal(portal.counts.length, 24);
    assert.equal(portal.counts.at(-1), 2, 'both sign-ins in the current hour');
    assert.equal(portal.counts.slice(0, -1).reduce((a, b) => a + b, 0), 0);
    const backendTokens = tokensIssued.find((s) => s.clientId === backend.id);
    assert.ok(backendTokens && backendTokens.counts.at(-1)! >= 3, JSON.stringify(tokensIssued));
  });

  it('answers daily buckets for 30 days, and refuses an unknown period', async () => {
    const month = await api(gh.issuer, ops, 'GET', '/statistics/activity');
    assert.equal(month.status, 200);
    assert.equal(month.body.bucket, 'day');
    assert.equal(month.body.buckets.length, 30);
    assert.equal(new Date(month.body.buckets.at(-1)).toISOString().slice(11), '00:00:00.000Z', 'days are UTC days');
    assert.ok((month.body.signIns as Series[]).find((s) => s.clientId === 'portal')!.counts.at(-1)! >= 2);
    const bad = await api(gh.issuer, ops, 'GET', '/statistics/activity?period=1y');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errors[0].pointer, '#/query/period');
  });

  it('lists the signing keys without private parts; a rotation with pre-publication publishes first and signs later, audited', async () => {
    const listed = await api(gh.issuer, ops, 'GET', '/signing-keys');
    assert.equal(listed.status, 200);
    const before = listed.body.items as KeyView[];
    const signing = before.find((k) => k.status === 'signing')!;
    assert.equal(decodeProtectedHeader(await cmsToken()).kid, signing.kid);
    assert.deepEqual(Object.keys(signing).sort().filter((k) => !['activatesAt', 'retiredAt'].includes(k)), ['alg', 'createdAt', 'kid', 'status']);

    const rotated = await api(gh.issuer, ops, 'POST', '/signing-keys:rotate', { activateInSeconds: 3600 });
    assert.equal(rotated.status, 201, JSON.stringify(rotated.body));
    const { added, activatesAt, keys } = rotated.body as { added: string; activatesAt: string; keys: KeyView[] };
    assert.ok(Math.abs(Date.parse(activatesAt) - (Date.now() + 3_600_000)) < 60_000);
    assert.deepEqual(keys.map((k) => [k.kid, k.status]).slice(0, 2), [[added, 'next'], [signing.kid, 'signing']]);
    assert.equal(keys.find((k) => k.kid === signing.kid)!.retiredAt, activatesAt, 'the current key retires when the new one activates');

    // Published at once (nodes reload the file), while the old key still signs.
    await eventually(async () => ((await (await fetch(`${gh.issuer}/jwks`)).json()) as JSONWebKeySet).keys.some((k) => k.kid === added) || undefined, { what: 'the new key in /jwks' });
    assert.equal(decodeProtectedHeader(await cmsToken()).kid, signing.kid);

    const audited = await api(gh.issuer, ops, 'GET', `/audit?action=signing_key.rotated&target=key:${added}`);
    assert.equal(audited.body.total, 1, 'recorded once, by the caller, not again by the node that reloaded the file');
    assert.equal(audited.body.items[0].actor, 'client:ops-service');

    const now = await api(gh.issuer, ops, 'POST', '/signing-keys:rotate', {});
    assert.equal(now.status, 201);
    assert.equal((now.body.keys as KeyView[])[0]!.status, 'signing');
    await eventually(async () => decodeProtectedHeader(await cmsToken()).kid === now.body.added || undefined, { what: 'the immediate key signing' });
    assert.equal((await api(gh.issuer, ops, 'POST', '/signing-keys:rotate', { activateInSeconds: 86_401 })).status, 400);
  });

  it('needs keys:read and keys:write', async () => {
    const reader = await serviceToken(gh.issuer, opsService, 'keys:read audit:read');
    assert.equal((await api(gh.issuer, reader, 'GET', '/signing-keys')).status, 200);
    assert.equal((await api(gh.issuer, reader, 'POST', '/signing-keys:rotate', {})).status, 403);
  });

  it('reports the audit chain intact, then the first row that was edited', async () => {
    const intact = await api(gh.issuer, ops, 'GET', '/audit/verification');
    assert.equal(intact.status, 200);
    assert.equal(intact.body.ok, true);
    assert.ok(intact.body.rows > 5);
    assert.ok(Date.parse(intact.body.checkedAt) > Date.now() - 60_000);

    const db = gh.gatehouse.storage.db;
    const [row] = await db('audit_log').select('id').where('action', 'lab.created').orderBy('id').limit(1) as Array<{ id: number | string }>;
    await db('audit_log').where('id', row!.id).update({ actor: 'user:someone-else' });
    const broken = await api(gh.issuer, ops, 'GET', '/audit/verification');
    assert.equal(broken.body.ok, false);
    assert.equal(broken.body.brokenAt, Number(row!.id));
    assert.match(broken.body.reason, /edited/);
  });
});
