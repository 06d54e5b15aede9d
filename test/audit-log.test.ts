import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';

import { createChainVerifier, GENESIS_HASH, type AuditEntry, type ChainedAuditEntry } from '../src/domain/audit/audit-chain.js';
import type { DomainEvent } from '../src/domain/events/domain-event.js';
import { createAuditRepository } from '../src/storage/postgres/audit-repository.js';
import { createDatabase, migrateLatest, type Database } from '../src/storage/postgres/database.js';

import { eventually } from './helpers/eventually.js';
import { FormBrowser } from './helpers/form-login.js';
import { backend, CMS, createSandbox, john, mode, portal, postForm, runCli, runCliInProcess, startTestGatehouse, type Sandbox } from './helpers/harness.js';
import { refresh, revoke, userTokens } from './helpers/user-tokens.js';

describe(`audit log with a hash chain (${mode})`, () => {
  let sandbox: Sandbox;
  const secrets: string[] = [john.password, portal.secret, backend.secret, 'wrong-password-here'];
  let rows: Array<Record<string, unknown>>;

  before(async () => {
    sandbox = await createSandbox();
    const gh = await startTestGatehouse({}, sandbox);
    try {
      // a failed login, then the flows that succeed
      const browser = new FormBrowser(portal.redirectUri);
      const auth = new URL(`${gh.issuer}/auth`);
      auth.search = new URLSearchParams({ client_id: portal.id, response_type: 'code', redirect_uri: portal.redirectUri, scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' }).toString();
      await browser.submit(await browser.go(auth.href), '/login', { login: 'john', password: 'wrong-password-here' });

      const first = await userTokens(gh.issuer);
      secrets.push(first.access_token, first.refresh_token!);
      const rotated = await refresh(gh.issuer, first.refresh_token!);
      await refresh(gh.issuer, String(rotated.body.refresh_token)); // the successor is used...
      await refresh(gh.issuer, first.refresh_token!); // ...so this is reuse, not a retry: the grant is revoked
      const jwt = String((await postForm(`${gh.issuer}/token`, { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }, backend)).body.access_token);
      secrets.push(jwt);
      await revoke(gh.issuer, jwt, backend);
      // Reuse detection and revocation are appended in the background: wait until both are in.
      rows = await eventually(async () => {
        const all = (await gh.gatehouse.storage.db('audit_log').select().orderBy('id')) as Array<Record<string, unknown>>;
        const actions = new Set(all.map((r) => r.action));
        return actions.has('refresh_token.reuse_detected') && actions.has('access_token.revoked') ? all : undefined;
      }, { what: 'the background audit appends' });
    } finally {
      await gh.stop();
    }
  });
  after(async () => sandbox?.dispose());

  it('records logins, refresh-token reuse and revocations, with who, what, request id and IP', () => {
    const actions = rows.map((r) => r.action);
    for (const action of ['login.failed', 'login.succeeded', 'refresh_token.reuse_detected', 'access_token.revoked']) {
      assert.ok(actions.includes(action), `${action} in ${actions.join(', ')}`);
    }
    const failed = rows.find((r) => r.action === 'login.failed')!;
    assert.equal((failed.details as Record<string, unknown>).reason, 'wrong_password');
    assert.ok(failed.request_id);
    assert.ok(failed.ip);
    const ok = rows.find((r) => r.action === 'login.succeeded')!;
    assert.match(String(ok.actor), /^user:/);
  });

  it('never contains a password, a client secret or a token', () => {
    const text = JSON.stringify(rows);
    for (const secret of secrets) assert.ok(!text.includes(secret), `audit log leaks ${secret.slice(0, 12)}…`);
  });

  it('`gatehouse audit verify` passes, then names the row an SQL edit broke', async () => {
    const ok = await runCliInProcess(['audit', 'verify', '--json'], sandbox.env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout), { ok: true, rows: rows.length });

    const victim = rows[Math.floor(rows.length / 2)]!;
    const { db } = await createDatabase({ databaseUrl: sandbox.env.DATABASE_URL, dataDir: sandbox.env.GATEHOUSE_DATA_DIR!, poolMax: 1 });
    try {
      await db('audit_log').where({ id: victim.id }).update({ actor: 'user:someone-else' });
    } finally {
      await db.destroy();
    }
    // The binary itself: a broken chain is its exit code 1.
    const broken = await runCli(['audit', 'verify', '--json'], sandbox.env);
    assert.equal(broken.code, 1);
    const report = JSON.parse(broken.stdout) as { ok: boolean; brokenAt: number; reason: string };
    assert.equal(report.ok, false);
    assert.equal(report.brokenAt, Number(victim.id));
    assert.match(report.reason, /edited/);
    const text = await runCliInProcess(['audit', 'verify'], sandbox.env);
    assert.match(text.stdout, new RegExp(`audit chain broken at row ${victim.id}`));
  });
});

describe(`audit appends: one statement per batch, chained under the lock (${mode})`, () => {
  let sandbox: Sandbox;
  let dbs: Database[] = [];
  before(async () => {
    sandbox = await createSandbox();
    const open = async () => (await createDatabase({ databaseUrl: sandbox.env.DATABASE_URL, dataDir: sandbox.env.GATEHOUSE_DATA_DIR!, poolMax: 4 })).db;
    const first = await open();
    await migrateLatest(first);
    // Two pools: two nodes appending to one chain (embedded has one database handle).
    dbs = mode === 'servers' ? [first, await open()] : [first];
  });
  after(async () => {
    for (const db of dbs) await db.destroy();
    await sandbox?.dispose();
  });

  const entry = (i: number, details: Record<string, unknown> = {}): AuditEntry => ({
    at: new Date(Date.UTC(2026, 10, 30, 1, 0, 0, i)), actor: `user:u-${i}`, action: 'login.succeeded', target: `user:u-${i}`, details, requestId: `r-${i}`, ip: '192.0.2.1',
  });

  it('writes a batch with its events in one round trip, each row hashed onto the one before as the verifier does (non-ASCII included)', async () => {
    const [db] = dbs;
    const repository = createAuditRepository(db!);
    const statements: string[] = [];
    const record = (query: { sql: string }) => statements.push(query.sql);
    const event = (i: number): DomainEvent => ({ id: randomUUID(), type: 'user.updated', time: new Date(), actor: 'cli:test', subject: `user:u-${i}`, labIds: [], data: { i } });
    db!.on('query', record);
    try {
      await repository.appendBatch([
        { entry: entry(1, { client_id: 'portal', name: 'Zoë ✓ 日本', nested: { b: 2, a: [1, 'ü'] } }), events: [event(1)] },
        { entry: entry(2), events: [] },
        { entry: { ...entry(3), target: undefined, requestId: undefined, ip: undefined }, events: [event(3), event(4)] },
      ]);
    } finally {
      db!.off('query', record);
    }
    assert.equal(statements.length, 1, statements.join('\n'));
    const verifier = createChainVerifier();
    const rows: ChainedAuditEntry[] = [];
    for await (const row of repository.all()) {
      rows.push(row);
      verifier.add(row);
    }
    assert.deepEqual(verifier.result(), { ok: true, rows: 3 });
    assert.deepEqual(rows.map((r) => [r.actor, r.target, r.requestId, r.ip]), [
      ['user:u-1', 'user:u-1', 'r-1', '192.0.2.1'], ['user:u-2', 'user:u-2', 'r-2', '192.0.2.1'], ['user:u-3', undefined, undefined, undefined],
    ]);
    assert.equal(rows[0]!.prevHash, GENESIS_HASH);
    assert.equal(rows[0]!.at.toISOString(), entry(1).at.toISOString());
    assert.deepEqual(rows[0]!.details, { client_id: 'portal', name: 'Zoë ✓ 日本', nested: { b: 2, a: [1, 'ü'] } });
    const events = await db!('events').select('subject').orderBy('seq');
    assert.deepEqual(events.map((e) => e.subject), ['user:u-1', 'user:u-3', 'user:u-4']);
  });

  it('keeps one chain when nodes append at once, in batches and single rows, inside transactions and out', async () => {
    const writers = dbs.map((db) => createAuditRepository(db));
    await Promise.all(Array.from({ length: 24 }, (_, i) => {
      const repository = writers[i % writers.length]!;
      const db = dbs[i % dbs.length]!;
      if (i % 3 === 0) return repository.appendBatch([{ entry: entry(100 + i), events: [] }, { entry: entry(200 + i), events: [] }]);
      if (i % 3 === 1) return db.transaction((trx) => createAuditRepository(trx).append(entry(100 + i)));
      return repository.append(entry(100 + i));
    }));
    const verifier = createChainVerifier();
    for await (const row of writers[0]!.all()) verifier.add(row);
    assert.deepEqual(verifier.result(), { ok: true, rows: 3 + 24 + 8 });
  });
});
