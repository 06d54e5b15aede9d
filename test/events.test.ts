import { strict as assert } from 'node:assert';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import amqp from 'amqplib';
import { Webhook } from 'standardwebhooks';

import { createAjv } from '../src/config/ajv.js';
import { EVENT_TYPES } from '../src/domain/events/event-types.js';
import { checkOutboundUrl, OutboundRefusedError, postOutbound } from '../src/lib/outbound-request.js';
import { mode, postForm, startTestGatehouse, type TestGatehouse } from './helpers/harness.js';
import { eventually } from './helpers/eventually.js';
import { api, lena, opsService, personToken, serviceToken } from './helpers/management-api.js';


const SCOPES = 'users:read users:write labs:read labs:write events:read webhooks:read webhooks:write audit:read';
const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

interface Received { headers: IncomingMessage['headers']; body: string; at: number }

/** A webhook receiver: answers with whatever `answer` says next (default 204), records every request. */
async function startReceiver() {
  const received: Received[] = [];
  let answer: (request: Received) => Promise<number> | number = () => 204;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', async () => {
      const request = { headers: req.headers, body, at: Date.now() };
      received.push(request);
      res.statusCode = await answer(request);
      res.end(res.statusCode >= 400 ? 'receiver says no' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    answerWith(fn: typeof answer) { answer = fn; },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

const bodies = (received: Received[]) => received.map((r) => JSON.parse(r.body) as { id: string; type: string; subject: string; data: Record<string, unknown> });

describe(`events: outbox, feed, webhooks, RabbitMQ (${mode})`, () => {
  let gh: TestGatehouse;
  let ops: string;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const exchange = `gatehouse.test.${process.pid}.${Date.now()}`;

  before(async () => {
    gh = await startTestGatehouse({
      GATEHOUSE_EVENTS_POLL_MS: '50', GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: 'true', GATEHOUSE_WEBHOOK_RETRY_DELAYS: '0.2,0.2,0.2',
      GATEHOUSE_WEBHOOK_TIMEOUT_SECONDS: '2', AMQP_URL, GATEHOUSE_AMQP_EXCHANGE: exchange,
    });
    ops = await serviceToken(gh.issuer, opsService, SCOPES);
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver?.close();
    await gh?.stop();
  });

  it('a change commits its event with it; a refused change leaves none; the feed pages forward by cursor and filters by type', async () => {
    const start = await api(gh.issuer, ops, 'GET', '/events?after=latest&limit=1');
    assert.equal(start.status, 200, JSON.stringify(start.body));
    const cursor = start.body.next as string;
    const created = await api(gh.issuer, ops, 'POST', '/users', { username: 'evelyn', email: 'evelyn@example.org', password: 'a-long-enough-password', labs: [{ labId: 'lab-1', role: 'member' }] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await api(gh.issuer, ops, 'POST', '/users', { username: 'evelyn', email: 'other@example.org', password: 'a-long-enough-password' })).status, 409);
    assert.equal((await api(gh.issuer, ops, 'PATCH', `/users/${created.body.id}`, { givenName: 'Eve' })).status, 200);

    const page = await api(gh.issuer, ops, 'GET', `/events?after=${cursor}`);
    assert.deepEqual(page.body.items.map((e: { type: string }) => e.type), ['user.created', 'user.updated']);
    const [first, second] = page.body.items;
    assert.equal(first.subject, `user:${created.body.id}`);
    assert.deepEqual(first.labs, ['lab-1']);
    assert.equal(first.actor, 'client:ops-service');
    assert.equal(first.data.user.username, 'evelyn');
    assert.ok(!JSON.stringify(page.body).match(/password|hash/i), 'no secret in an event');
    assert.match(first.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7/, 'a UUIDv7');
    assert.ok(first.id < second.id, 'ids sort by time');
    const audit = await gh.gatehouse.storage.db('audit_log').count({ n: '*' }).where('target', `user:${created.body.id}`).first();
    assert.equal(Number(audit!.n), 2, 'two audit rows, two events: the refused change has neither');

    const next = await api(gh.issuer, ops, 'GET', `/events?after=${first.cursor}&types=user.updated,user.blocked`);
    assert.deepEqual(next.body.items.map((e: { id: string }) => e.id), [second.id]);
    assert.equal((await api(gh.issuer, ops, 'GET', `/events?after=${page.body.next}`)).body.items.length, 0);
    const unknown = await api(gh.issuer, ops, 'GET', '/events?types=user.exploded');
    assert.equal(unknown.status, 400);
    assert.equal(unknown.headers.get('content-type'), 'application/problem+json');
  });

  it('a lab admin reads their lab\'s events only, and a service without events:read is refused', async () => {
    const start = (await api(gh.issuer, ops, 'GET', '/events?after=latest')).body.next;
    await api(gh.issuer, ops, 'POST', '/users', { username: 'in-lab-1', email: 'in1@example.org', labs: [{ labId: 'lab-1', role: 'member' }] });
    await api(gh.issuer, ops, 'POST', '/users', { username: 'in-lab-2', email: 'in2@example.org', labs: [{ labId: 'lab-2', role: 'member' }] });
    const token = await personToken(gh.issuer, lena, { lab: 'lab-1', scope: 'events:read' });
    const seen = await api(gh.issuer, token, 'GET', `/events?after=${start}`);
    assert.equal(seen.status, 200, JSON.stringify(seen.body));
    assert.deepEqual(seen.body.items.map((e: { data: { user: { username: string } } }) => e.data.user.username), ['in-lab-1']);
    assert.deepEqual((await api(gh.issuer, token, 'GET', `/events?after=${start}&lab=lab-2`)).body.items, []);
    // A member of both labs: lab-1's admin sees the event with lab-1 only, and no membership of lab-2.
    const both = await api(gh.issuer, ops, 'POST', '/users', { username: 'in-both', email: 'both@example.org', labs: [{ labId: 'lab-1', role: 'member' }, { labId: 'lab-2', role: 'admin' }] });
    const shared = (await api(gh.issuer, token, 'GET', `/events?after=${start}&types=user.created`)).body.items.find((e: { subject: string }) => e.subject === `user:${both.body.id}`);
    assert.deepEqual(shared.labs, ['lab-1']);
    assert.ok(!JSON.stringify(shared).includes('lab-2'), JSON.stringify(shared));
    const noScope = await serviceToken(gh.issuer, opsService, 'users:read');
    assert.equal((await api(gh.issuer, noScope, 'GET', '/events')).status, 403);

    // lab-1's admin renames the member of both labs: lab-2 hears of it too (its own part only),
    // though the admin's answer shows lab-1 alone.
    const writer = await personToken(gh.issuer, lena, { lab: 'lab-1', scope: 'users:read users:write' });
    const renamed = await api(gh.issuer, writer, 'PATCH', `/users/${both.body.id}`, { givenName: 'Both' });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.deepEqual(renamed.body.labs.map((l: { labId: string }) => l.labId), ['lab-1']);
    const updated = (await api(gh.issuer, ops, 'GET', `/events?after=${start}&types=user.updated&lab=lab-2`)).body.items;
    assert.equal(updated.length, 1, JSON.stringify(updated));
    assert.equal(updated[0].subject, `user:${both.body.id}`);
    assert.deepEqual([...updated[0].labs].sort(), ['lab-1', 'lab-2']);
  });

  it('streams new events live as Server-Sent Events, resuming from a cursor', async () => {
    const start = (await api(gh.issuer, ops, 'GET', '/events?after=latest')).body.next;
    const controller = new AbortController();
    const response = await fetch(`${gh.issuer}/api/v1/events?after=${start}&types=user.blocked`, {
      headers: { authorization: `Bearer ${ops}`, accept: 'text/event-stream' }, signal: controller.signal,
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const user = await api(gh.issuer, ops, 'POST', '/users', { username: 'streamed', email: 'streamed@example.org' });
    assert.equal((await api(gh.issuer, ops, 'POST', `/users/${user.body.id}/block`, { reason: 'test' })).status, 200);
    const reader = response.body!.getReader();
    let text = '';
    const decoder = new TextDecoder();
    while (!text.includes('event: user.blocked')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    controller.abort();
    const frame = text.split('\n\n').find((f) => f.includes('event: user.blocked'))!;
    const data = JSON.parse(frame.split('\n').find((l) => l.startsWith('data: '))!.slice(6));
    assert.equal(data.subject, `user:${user.body.id}`);
    assert.match(frame, new RegExp(`^id: ${data.cursor}$`, 'm'));
  });

  it('ends a live stream when its token is withdrawn, and holds at most five per caller', async () => {
    const token = await serviceToken(gh.issuer, opsService, 'events:read');
    const open = (bearer: string, signal: AbortSignal) => fetch(`${gh.issuer}/api/v1/events?after=latest`, { headers: { authorization: `Bearer ${bearer}`, accept: 'text/event-stream' }, signal });
    const controller = new AbortController();
    // The previous test's stream (same caller) gives its place back at its next poll: on a busy
    // machine that can come after this test starts, so each of the five waits for a free place.
    const streams: Response[] = [];
    for (let i = 0; i < 5; i += 1) {
      streams.push(await eventually(async () => {
        const response = await open(token, controller.signal);
        if (response.status === 200) return response;
        await response.body?.cancel();
        return undefined;
      }, { what: 'a free place for a live stream' }));
    }
    // Another token of the same client is the same caller.
    const sixth = await open(await serviceToken(gh.issuer, opsService, 'events:read'), controller.signal);
    assert.equal(sixth.status, 429);
    assert.match(((await sixth.json()) as { detail: string }).detail, /at most 5 live event streams/);

    // Revoked: every stream of the token ends by itself (checked every 25 polls: 1.25 s here), a comment saying why.
    const revoked = await postForm(`${gh.issuer}/token/revocation`, { token }, opsService);
    assert.equal(revoked.status, 200);
    const ended = await Promise.all(streams.map(async (response) => {
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return text;
        text += decoder.decode(value);
      }
    }));
    for (const text of ended) assert.match(text, /: the access token expired or was withdrawn/);
    // Their places are free again.
    const again = await open(await serviceToken(gh.issuer, opsService, 'events:read'), controller.signal);
    assert.equal(again.status, 200);
    controller.abort();
  });

  it('delivers Standard Webhooks that the standardwebhooks package verifies, in order per subject, without slowing the API', async () => {
    const made = await api(gh.issuer, ops, 'POST', '/webhooks', { url: receiver.url, eventTypes: ['user.created', 'user.updated', 'user.blocked'] });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.match(made.body.secret, /^whsec_/);
    assert.equal((await api(gh.issuer, ops, 'GET', `/webhooks/${made.body.webhook.id}`)).body.secret, undefined, 'the secret is shown once');
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    receiver.answerWith(async () => { await held; return 204; });

    const user = await api(gh.issuer, ops, 'POST', '/users', { username: 'hooked', email: 'hooked@example.org' });
    await api(gh.issuer, ops, 'PATCH', `/users/${user.body.id}`, { givenName: 'Hooked' });
    await api(gh.issuer, ops, 'POST', `/users/${user.body.id}/block`, { reason: 'test' });
    // Every API call above answered while the receiver still held the first delivery.
    await eventually(async () => (receiver.received.length >= 1 ? true : undefined), { what: 'the first delivery' });
    assert.equal(receiver.received.length, 1, 'one subject: the next event waits for the first delivery');
    release();
    receiver.answerWith(() => 204);
    await eventually(async () => (receiver.received.length >= 3 ? true : undefined), { what: 'three deliveries' });
    const wh = new Webhook(made.body.secret);
    for (const r of receiver.received) wh.verify(r.body, r.headers as Record<string, string>);
    assert.deepEqual(bodies(receiver.received).map((b) => b.type), ['user.created', 'user.updated', 'user.blocked']);
    assert.equal(receiver.received[0]!.headers['webhook-id'], bodies(receiver.received)[0]!.id);
    assert.throws(() => wh.verify(receiver.received[0]!.body.replace('hooked', 'hacked'), receiver.received[0]!.headers as Record<string, string>));
    await api(gh.issuer, ops, 'DELETE', `/webhooks/${made.body.webhook.id}`);
    receiver.received.length = 0;
  });

  it('retries a failing receiver, logs each delivery, redelivers on request, and disables a subscription that keeps failing (audited)', async () => {
    const made = await api(gh.issuer, ops, 'POST', '/webhooks', { url: receiver.url, eventTypes: ['lab.created'] });
    const id = made.body.webhook.id;
    let calls = 0;
    receiver.answerWith(() => (++calls === 1 ? 500 : 204));
    await api(gh.issuer, ops, 'POST', '/labs', { id: 'lab-hooked', name: 'Hooked' });
    await eventually(async () => (receiver.received.length >= 2 ? true : undefined), { what: 'a retry' });
    const ids = receiver.received.map((r) => r.headers['webhook-id']);
    assert.equal(ids[0], ids[1], 'a retry carries the same webhook-id');
    const log = await eventually(async () => {
      const page = await api(gh.issuer, ops, 'GET', `/webhooks/${id}/deliveries`);
      return page.body.items[0]?.status === 'delivered' ? page : undefined;
    });
    assert.equal(log.body.items[0].attempts, 2);
    assert.equal(log.body.items[0].lastStatus, 204);

    assert.equal((await api(gh.issuer, ops, 'POST', `/webhooks/${id}/deliveries/${log.body.items[0].id}/redeliver`)).status, 202);
    await eventually(async () => (receiver.received.length >= 3 ? true : undefined), { what: 'the redelivery' });
    assert.equal(receiver.received[2]!.headers['webhook-id'], ids[0]);

    receiver.answerWith(() => 503);
    await api(gh.issuer, ops, 'PATCH', '/labs/lab-hooked', { name: 'Still hooked' });
    await api(gh.issuer, ops, 'POST', '/labs', { id: 'lab-hooked-2', name: 'Hooked again' });
    const disabled = await eventually(async () => {
      const w = await api(gh.issuer, ops, 'GET', `/webhooks/${id}`);
      return w.body.enabled === false ? w : undefined;
    }, { what: 'the subscription disabled' });
    assert.match(disabled.body.disabledReason, /failed 4 times/);
    const audit = await api(gh.issuer, ops, 'GET', `/audit?action=webhook.disabled&target=webhook:${id}`);
    assert.equal(audit.body.total, 1);
    await api(gh.issuer, ops, 'DELETE', `/webhooks/${id}`);
    receiver.answerWith(() => 204);
    receiver.received.length = 0;
  });

  it('refuses a subscription with an unknown event type, a lab that does not exist, or a bad URL, naming the field', async () => {
    const bad = await api(gh.issuer, ops, 'POST', '/webhooks', { url: receiver.url, eventTypes: ['user.exploded'] });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.errors.map((e: { pointer: string }) => e.pointer), ['#/body/eventTypes/0']);
    const lab = await api(gh.issuer, ops, 'POST', '/webhooks', { url: receiver.url, labId: 'lab-none' });
    assert.deepEqual([lab.status, lab.body.errors?.[0]?.field ?? lab.body.errors?.[0]?.pointer], [400, lab.body.errors?.[0]?.field ?? '#/body/labId']);
    const ftp = await api(gh.issuer, ops, 'POST', '/webhooks', { url: 'ftp://example.org/x' });
    assert.equal(ftp.status, 400);
  });

  it('SSRF: private, loopback and link-local targets are refused when stored and at connect time unless allowed', async () => {
    const strict = { allowPrivateNetworks: false, allowHttp: false };
    for (const url of ['https://127.0.0.1/x', 'https://10.1.2.3/x', 'https://169.254.169.254/latest', 'https://[::1]/x', 'https://localhost/x']) {
      await assert.rejects(checkOutboundUrl(url, strict), OutboundRefusedError, url);
    }
    await assert.rejects(checkOutboundUrl('http://example.org/x', strict), /must use https/);
    await assert.rejects(postOutbound(receiver.url, { headers: {}, body: '{}', timeoutMs: 1000 }, { allowPrivateNetworks: false, allowHttp: true }), OutboundRefusedError);
    assert.equal((await postOutbound(receiver.url, { headers: {}, body: '{}', timeoutMs: 1000 }, { allowPrivateNetworks: true, allowHttp: true })).status, 204);
    receiver.received.length = 0;
  });

  it('publishes every event to a RabbitMQ topic exchange: routing key = type, persistent, message id = event id', async () => {
    const connection = await amqp.connect(AMQP_URL);
    try {
      const channel = await connection.createChannel();
      await channel.assertExchange(exchange, 'topic', { durable: true });
      const { queue } = await channel.assertQueue('', { exclusive: true });
      await channel.bindQueue(queue, exchange, 'lab.#');
      const messages: amqp.ConsumeMessage[] = [];
      await channel.consume(queue, (m) => { if (m) messages.push(m); }, { noAck: true });
      await api(gh.issuer, ops, 'POST', '/labs', { id: 'lab-amqp', name: 'AMQP' });
      await api(gh.issuer, ops, 'DELETE', '/labs/lab-amqp');
      await eventually(async () => (messages.length >= 2 ? true : undefined), { what: 'two messages', timeoutMs: 15_000 });
      assert.deepEqual(messages.map((m) => m.fields.routingKey), ['lab.created', 'lab.deleted']);
      const body = JSON.parse(messages[0]!.content.toString());
      assert.equal(messages[0]!.properties.messageId, body.id);
      assert.equal(messages[0]!.properties.deliveryMode, 2);
      assert.equal(body.subject, 'lab:lab-amqp');
    } finally {
      await connection.close();
    }
  });

  it('publishes the event schema once: in the OpenAPI components and as an AsyncAPI 3 document, which the events match', async () => {
    const asyncApi = await (await fetch(`${gh.issuer}/api/v1/asyncapi.json`)).json() as Record<string, any>;
    assert.equal(asyncApi.asyncapi, '3.0.0');
    const resolve = (ref: string) => ref.slice(2).split('/').reduce((node: any, key: string) => node?.[key], asyncApi);
    for (const type of Object.keys(EVENT_TYPES)) {
      const channel = asyncApi.channels[type];
      assert.equal(channel.address, type);
      assert.equal(channel.bindings.amqp.exchange.name, exchange);
      const message = resolve(channel.messages[type].$ref);
      assert.equal(message.payload.allOf[1].properties.type.const, type);
      assert.ok(resolve(asyncApi.operations[`publish.${type}`].channel.$ref), type);
    }
    const openApi = await (await fetch(`${gh.issuer}/api/v1/openapi.json`)).json() as Record<string, any>;
    assert.deepEqual(openApi.components.schemas.Event, asyncApi.components.schemas.Event);
    const validate = createAjv().compile(asyncApi.components.schemas.Event);
    const feed = await api(gh.issuer, ops, 'GET', '/events?limit=50');
    assert.ok(feed.body.items.length > 0);
    for (const event of feed.body.items) assert.ok(validate(event), JSON.stringify(validate.errors));
  });
});
