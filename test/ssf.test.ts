import { strict as assert } from 'node:assert';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';

import { totpCodeAt } from '../src/domain/factors/totp.js';
import { mode, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { eventually } from './helpers/eventually.js';
import { api, opsService, serviceToken } from './helpers/management-api.js';

const RISC = 'https://schemas.openid.net/secevent/risc/event-type';
const CREDENTIAL_CHANGE = 'https://schemas.openid.net/secevent/caep/event-type/credential-change';
const PUSH = 'urn:ietf:rfc:8935';
const POLL = 'urn:ietf:rfc:8936';

describe(`Shared Signals transmitter (${mode})`, () => {
  let gh: TestGatehouse;
  let receiverToken: string;
  let ops: string;
  const pushed: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => { pushed.push({ headers: req.headers, body }); res.statusCode = 202; res.end(); });
  });

  before(async () => {
    gh = await startTestGatehouse({ GATEHOUSE_EVENTS_POLL_MS: '50', GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: 'true' });
    receiverToken = await serviceToken(gh.issuer, opsService, 'ssf:manage');
    ops = await serviceToken(gh.issuer, opsService, 'users:read users:write');
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    server.closeAllConnections();
    server.close();
    await gh?.stop();
  });

  const verifySet = async (token: string) => jwtVerify(token, createRemoteJWKSet(new URL(`${gh.issuer}/jwks`)), { issuer: gh.issuer, audience: opsService.id, typ: 'secevent+jwt', algorithms: ['RS256'] });

  it('publishes its metadata at /.well-known/ssf-configuration', async () => {
    const metadata = await (await fetch(`${gh.issuer}/.well-known/ssf-configuration`)).json() as Record<string, unknown>;
    assert.equal(metadata.issuer, gh.issuer);
    assert.equal(metadata.spec_version, '1_0');
    assert.deepEqual(metadata.delivery_methods_supported, [PUSH, POLL]);
    assert.equal(metadata.configuration_endpoint, `${gh.issuer}/api/v1/ssf/streams`);
    assert.equal(metadata.jwks_uri, `${gh.issuer}/jwks`);
  });

  it('pushes signed account-disabled SETs (RFC 8935) and keeps polled ones until acknowledged (RFC 8936); verification events carry the state', async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ssf`;
    const push = await api(gh.issuer, receiverToken, 'POST', '/ssf/streams', { events_requested: [`${RISC}/account-disabled`], delivery: { method: PUSH, endpoint_url: url, authorization_header: 'Bearer receiver-secret' } });
    assert.equal(push.status, 201, JSON.stringify(push.body));
    assert.equal(push.body.aud, opsService.id);
    assert.deepEqual(push.body.events_delivered, [`${RISC}/account-disabled`]);
    const poll = await api(gh.issuer, receiverToken, 'POST', '/ssf/streams', { delivery: { method: POLL } });
    assert.equal(poll.status, 201);
    assert.equal(poll.body.delivery.endpoint_url, `${gh.issuer}/api/v1/ssf/poll/${poll.body.stream_id}`);
    assert.equal((await api(gh.issuer, receiverToken, 'GET', `/ssf/streams?stream_id=${poll.body.stream_id}`)).body.stream_id, poll.body.stream_id);

    const user = await api(gh.issuer, ops, 'POST', '/users', { username: 'signalled', email: 'signalled@example.org' });
    assert.equal((await api(gh.issuer, ops, 'POST', `/users/${user.body.id}/block`, { reason: 'test' })).status, 200);
    assert.equal((await api(gh.issuer, ops, 'POST', `/users/${user.body.id}/restore`)).status, 200);

    await eventually(async () => (pushed.length >= 1 ? true : undefined), { what: 'a pushed SET' });
    assert.equal(pushed[0]!.headers['content-type'], 'application/secevent+jwt');
    assert.equal(pushed[0]!.headers.authorization, 'Bearer receiver-secret');
    const { payload, protectedHeader } = await verifySet(pushed[0]!.body);
    assert.equal(protectedHeader.typ, 'secevent+jwt');
    assert.deepEqual(payload.sub_id, { format: 'iss_sub', iss: gh.issuer, sub: user.body.id });
    assert.ok((payload.events as Record<string, unknown>)[`${RISC}/account-disabled`]);
    assert.equal(pushed.length, 1, 'the push stream asked for account-disabled only');

    const polled = await eventually(async () => {
      const answer = await api(gh.issuer, receiverToken, 'POST', `/ssf/poll/${poll.body.stream_id}`, { returnImmediately: true });
      return Object.keys(answer.body.sets ?? {}).length >= 2 ? answer : undefined;
    }, { what: 'two polled SETs' });
    const events = Object.values(polled.body.sets as Record<string, string>).map((t) => Object.keys(decodeJwt(t).events as object)[0]);
    assert.deepEqual(events, [`${RISC}/account-disabled`, `${RISC}/account-enabled`]);
    for (const token of Object.values(polled.body.sets as Record<string, string>)) await verifySet(token);
    const acked = await api(gh.issuer, receiverToken, 'POST', `/ssf/poll/${poll.body.stream_id}`, { ack: Object.keys(polled.body.sets), returnImmediately: true });
    assert.deepEqual(acked.body.sets, {});

    assert.equal((await api(gh.issuer, receiverToken, 'POST', '/ssf/verify', { stream_id: poll.body.stream_id, state: 'check-123' })).status, 204);
    const verification = await api(gh.issuer, receiverToken, 'POST', `/ssf/poll/${poll.body.stream_id}`, { returnImmediately: true });
    const [token] = Object.values(verification.body.sets as Record<string, string>);
    const { payload: verified } = await verifySet(token!);
    assert.deepEqual((verified.events as Record<string, unknown>)['https://schemas.openid.net/secevent/ssf/event-type/verification'], { state: 'check-123' });

    assert.deepEqual((await api(gh.issuer, receiverToken, 'POST', '/ssf/status', { stream_id: push.body.stream_id, status: 'paused' })).body, { stream_id: push.body.stream_id, status: 'paused' });
    assert.equal((await api(gh.issuer, receiverToken, 'DELETE', `/ssf/streams?stream_id=${push.body.stream_id}`)).status, 204);
    assert.equal((await api(gh.issuer, receiverToken, 'GET', `/ssf/streams?stream_id=${push.body.stream_id}`)).status, 404);
  });

  it('sends CAEP credential-change for second factors: an app enrolled, recovery codes regenerated, the app removed, all reset by an admin', async () => {
    const stream = await api(gh.issuer, receiverToken, 'POST', '/ssf/streams', { events_requested: [CREDENTIAL_CHANGE], delivery: { method: POLL } });
    assert.equal(stream.status, 201, JSON.stringify(stream.body));
    const user = await api(gh.issuer, ops, 'POST', '/users', { username: 'two-factor', email: 'two-factor@example.org' });
    const { secondFactors, resetFactors } = gh.gatehouse.services;
    const origin = { actor: `user:${user.body.id}` };
    const { secret } = await secondFactors.beginTotp(user.body.id, 'two-factor');
    const enrolled = await secondFactors.confirmTotp(origin, user.body.id, totpCodeAt(secret, new Date()));
    assert.ok(enrolled?.recoveryCodes, 'the first factor brings recovery codes');
    assert.ok(await secondFactors.regenerateRecoveryCodes(origin, user.body.id));
    assert.ok(await secondFactors.remove(origin, user.body.id, enrolled.factor.id));
    const again = await secondFactors.beginTotp(user.body.id, 'two-factor');
    assert.ok(await secondFactors.confirmTotp(origin, user.body.id, totpCodeAt(again.secret, new Date())));
    await resetFactors({ actor: 'cli:operator' }, user.body.id, { mayGrantAdmin: true });

    const expected = [['app', 'create'], ['recovery-code', 'update'], ['app', 'delete'], ['app', 'create'], ['app', 'revoke'], ['recovery-code', 'revoke']];
    const polled = await eventually(async () => {
      const answer = await api(gh.issuer, receiverToken, 'POST', `/ssf/poll/${stream.body.stream_id}`, { returnImmediately: true });
      return Object.keys(answer.body.sets ?? {}).length >= expected.length ? answer : undefined;
    }, { what: 'credential-change SETs' });
    const changes = [];
    for (const token of Object.values(polled.body.sets as Record<string, string>)) {
      const { payload } = await verifySet(token);
      assert.deepEqual(payload.sub_id, { format: 'iss_sub', iss: gh.issuer, sub: user.body.id });
      const event = (payload.events as Record<string, Record<string, unknown>>)[CREDENTIAL_CHANGE]!;
      assert.equal(typeof event.event_timestamp, 'number');
      changes.push([event.credential_type, event.change_type]);
    }
    assert.deepEqual(changes, expected);
    assert.equal((await api(gh.issuer, receiverToken, 'DELETE', `/ssf/streams?stream_id=${stream.body.stream_id}`)).status, 204);
  });

  it('holds at most ten streams per receiver, and sweeps SETs nobody took within the retention', async () => {
    const made: string[] = [];
    for (;;) {
      const answer = await api(gh.issuer, receiverToken, 'POST', '/ssf/streams', { delivery: { method: POLL } });
      if (answer.status !== 201) {
        assert.equal(answer.status, 409, JSON.stringify(answer.body));
        assert.match(answer.body.detail, /at most 10 streams/);
        break;
      }
      made.push(answer.body.stream_id as string);
      assert.ok(made.length <= 10);
    }
    const user = await api(gh.issuer, ops, 'POST', '/users', { username: 'unpolled', email: 'unpolled@example.org' });
    assert.equal((await api(gh.issuer, ops, 'POST', `/users/${user.body.id}/block`, { reason: 'test' })).status, 200);
    const db = gh.gatehouse.storage.db;
    await eventually(async () => ((await db('ssf_sets').whereIn('stream_id', made).count({ n: '*' }).first())?.n ? true : undefined), { what: 'queued SETs' });
    // Never polled, and older than the retention (30 days): the sweep takes them.
    await db('ssf_sets').whereIn('stream_id', made).update({ created_at: new Date(Date.now() - 31 * 86_400_000) });
    const swept = await gh.gatehouse.services.sweep();
    assert.ok((swept.ssf_sets ?? 0) >= made.length, JSON.stringify(swept));
    assert.equal(Number((await db('ssf_sets').whereIn('stream_id', made).count({ n: '*' }).first())?.n), 0);
    for (const id of made) assert.equal((await api(gh.issuer, receiverToken, 'DELETE', `/ssf/streams?stream_id=${id}`)).status, 204);
  });

  it('refuses an unsupported delivery method, a push stream without an endpoint, and callers that are not receivers', async () => {
    const method = await api(gh.issuer, receiverToken, 'POST', '/ssf/streams', { delivery: { method: 'urn:example:carrier-pigeon' } });
    assert.equal(method.status, 400);
    assert.equal(method.headers.get('content-type'), 'application/problem+json');
    assert.equal((await api(gh.issuer, receiverToken, 'POST', '/ssf/streams', { delivery: { method: PUSH } })).status, 400);
    assert.equal((await api(gh.issuer, ops, 'GET', '/ssf/streams')).status, 403, 'no ssf:manage scope');
  });
});
