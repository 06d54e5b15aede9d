import assert from 'node:assert/strict';

import { createAuditLog } from '../../src/domain/audit/audit-log.js';
import { createLabAccess } from '../../src/domain/tenancy/lab-access.js';
import { createTokenExchange, MAX_DELEGATION_DEPTH, TokenExchangeRefused, type Actor, type ExchangingClient, type SubjectToken } from '../../src/domain/tokens/token-exchange.js';
import { createFakeStorage } from '../fakes/fake-storage.js';
import { createSeeder } from '../fakes/seed.js';

const CMS = 'https://cms.example';
const TTS = 'https://tts.example';
const BILLING = 'https://billing.example';

function setup() {
  const storage = createFakeStorage();
  const seed = createSeeder(storage);
  seed.resource({ uri: CMS, scopes: ['cases:read'], accessTokenTtl: 300 });
  seed.resource({ uri: TTS, scopes: ['tickets:read', 'tickets:write'], accessTokenTtl: 600, roles: ['agent', 'lead'] });
  seed.resource({ uri: BILLING, scopes: ['invoices:read'] });
  const user = seed.user({ username: 'otto' });
  seed.lab('lab-1');
  seed.lab('lab-2');
  seed.member('lab-2', user.id, { role: 'admin' });
  seed.role({ principalId: user.id, resourceUri: TTS, role: 'agent', labId: 'lab-2' });
  seed.role({ principalId: user.id, resourceUri: TTS, role: 'lead', labId: 'lab-1' });
  const exchange = createTokenExchange({
    resources: storage.repos.resources,
    labs: createLabAccess({ tenancy: storage.repos.tenancy }),
    audit: createAuditLog({ transaction: storage.transaction, clock: storage.clock, onError: () => assert.fail('audit failed') }),
    clock: storage.clock,
  });
  const now = Math.floor(storage.clock.now().getTime() / 1000);
  const client: ExchangingClient = { clientId: 'cms-backend', resources: [CMS, TTS, BILLING], resourceScopes: ['cases:read', 'tickets:read', 'invoices:read'], exchangeResources: [TTS] };
  const subject: SubjectToken = {
    jti: 'subject-jti', sub: user.id, clientId: 'portal', audience: [CMS], expiresAt: now + 120, grantId: 'grant-1', acting: { labId: 'lab-2', role: 'admin' },
  };
  return { exchange, storage, client, subject, userId: user.id };
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof TokenExchangeRefused, String(error));
    return error.reason;
  }
  return assert.fail('the exchange was allowed');
}

describe('unit: token exchange policy', () => {
  it('gives the target\'s scopes the client may have, the subject\'s lab with the user\'s roles in it there, and act naming the client', async () => {
    const { exchange, client, subject } = setup();
    const token = await exchange.authorize({ client, subject, resource: TTS });
    assert.equal(token.resource.uri, TTS);
    assert.deepEqual(token.scope, ['tickets:read']);
    assert.deepEqual(token.claims, { act: { sub: 'cms-backend', client_id: 'cms-backend' }, roles: ['agent'], lab_id: 'lab-2', lab_role: 'admin' });
  });

  it('never outlives the subject token', async () => {
    const { exchange, client, subject } = setup();
    assert.equal((await exchange.authorize({ client, subject, resource: TTS })).expiresIn, 120);
    assert.equal((await exchange.authorize({ client, subject: { ...subject, expiresAt: subject.expiresAt + 10_000 }, resource: TTS })).expiresIn, 600);
  });

  it('refuses a target outside the client\'s token exchange resources, or unknown, with invalid_target', async () => {
    const { exchange, client, subject } = setup();
    assert.equal(await refusal(exchange.authorize({ client, subject, resource: BILLING })), 'invalid_target');
    assert.equal(await refusal(exchange.authorize({ client: { ...client, exchangeResources: [TTS, 'https://gone.example'], resources: [...client.resources, 'https://gone.example'] }, subject, resource: 'https://gone.example' })), 'invalid_target');
  });

  it('refuses a scope the target does not offer or the client may not have with invalid_scope, instead of dropping it', async () => {
    const { exchange, client, subject } = setup();
    assert.equal(await refusal(exchange.authorize({ client, subject, resource: TTS, scope: ['tickets:read', 'tickets:write'] })), 'invalid_scope');
    assert.equal(await refusal(exchange.authorize({ client, subject, resource: TTS, scope: ['cases:read'] })), 'invalid_scope');
    assert.deepEqual((await exchange.authorize({ client, subject, resource: TTS, scope: ['tickets:read'] })).scope, ['tickets:read']);
  });

  it('refuses a subject token that was not issued for a resource the client serves (invalid_grant)', async () => {
    const { exchange, client, subject } = setup();
    assert.equal(await refusal(exchange.authorize({ client, subject: { ...subject, audience: ['https://elsewhere.example'] }, resource: TTS })), 'invalid_grant');
  });

  it('nests the subject token\'s act, and bounds the delegation chain', async () => {
    const { exchange, client, subject } = setup();
    const earlier: Actor = { sub: 'portal-api', client_id: 'portal-api' };
    const token = await exchange.authorize({ client, subject: { ...subject, act: earlier }, resource: TTS });
    assert.deepEqual(token.claims.act, { sub: 'cms-backend', client_id: 'cms-backend', act: earlier });
    let long: Actor | undefined;
    for (let i = 0; i < MAX_DELEGATION_DEPTH; i += 1) long = { sub: `s${i}`, client_id: `s${i}`, ...(long ? { act: long } : {}) };
    assert.equal(await refusal(exchange.authorize({ client, subject: { ...subject, act: long }, resource: TTS })), 'invalid_grant');
  });

  it('gives a subject acting in no lab only the user\'s roles that no lab limits', async () => {
    const { exchange, client, subject } = setup();
    const token = await exchange.authorize({ client, subject: { ...subject, acting: undefined }, resource: TTS });
    assert.deepEqual(token.claims, { act: { sub: 'cms-backend', client_id: 'cms-backend' }, roles: [] });
  });

  it('refuses an expired subject token', async () => {
    const { exchange, client, subject, storage } = setup();
    storage.clock.advance(121_000);
    assert.equal(await refusal(exchange.authorize({ client, subject, resource: TTS })), 'invalid_grant');
  });

  it('records each exchange in the audit log: the acting client, the user, both tokens and the lab', async () => {
    const { exchange, client, subject, storage, userId } = setup();
    const issued = await exchange.authorize({ client, subject, resource: TTS });
    await exchange.record({ client, subject, issued, jti: 'new-jti', requestId: 'req-1', ip: '127.0.0.1' });
    const [row] = storage.state.audit;
    assert.equal(row?.action, 'token.exchanged');
    assert.equal(row?.actor, 'client:cms-backend');
    assert.equal(row?.target, `user:${userId}`);
    assert.deepEqual(row?.details, {
      jti: 'new-jti', aud: TTS, scope: 'tickets:read', subject_jti: 'subject-jti', subject_client_id: 'portal', subject_aud: [CMS], lab_id: 'lab-2',
      act: { sub: 'cms-backend', client_id: 'cms-backend' },
    });
  });

  it('refuses a subject token issued only for one of the client\'s exchange targets: it serves that audience only as a target', async () => {
    const { exchange, client, subject } = setup();
    assert.equal(await refusal(exchange.authorize({ client, subject: { ...subject, audience: [TTS] }, resource: TTS })), 'invalid_grant');
  });
});
