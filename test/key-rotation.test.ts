import { strict as assert } from 'node:assert';
import { statSync } from 'node:fs';
import { join } from 'node:path';

import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';

import { rotateKeyFile } from '../src/oidc/keys.js';
import { eventually } from './helpers/eventually.js';
import { backend, CMS, createSandbox, mode, postForm, runCli, runCliInProcess, startTestGatehouse, type Sandbox, type TestGatehouse } from './helpers/harness.js';
import { introspect } from './helpers/user-tokens.js';

describe(`signing key rotation (${mode})`, () => {
  let gh: TestGatehouse;
  let sandbox: Sandbox;
  before(async () => {
    // No seeded key: the key file checked here is the one the development start generates.
    sandbox = await createSandbox({ seedKeys: false });
    gh = await startTestGatehouse({}, sandbox);
  });
  after(async () => {
    await gh?.stop();
    await sandbox?.dispose();
  });

  const jwks = async () => (await (await fetch(`${gh.issuer}/jwks`)).json()) as JSONWebKeySet;
  const token = async () => String((await postForm(`${gh.issuer}/token`, { grant_type: 'client_credentials', resource: CMS, scope: 'cases:read' }, backend)).body.access_token);

  it('keeps the private key file at mode 0600 and publishes only public keys', async () => {
    const mode = statSync(join(gh.config.keysDir, 'jwks.json')).mode & 0o777;
    assert.equal(mode, 0o600);
    for (const key of (await jwks()).keys) {
      assert.equal(key.d, undefined);
      assert.equal(key.p, undefined);
      assert.equal(key.alg, 'RS256');
    }
  });

  it('after `gatehouse keys rotate` new tokens carry the new kid and old tokens still verify, with no restart', async () => {
    const before = await token();
    const oldKid = decodeProtectedHeader(before).kid!;
    // Another process rewrites the key file (the other commands here run in this one).
    const result = await runCli(['keys', 'rotate', '--json'], { GATEHOUSE_KEYS_DIR: gh.config.keysDir, NODE_ENV: 'test' });
    assert.equal(result.code, 0, result.stderr);
    const { added } = JSON.parse(result.stdout) as { added: string };
    assert.notEqual(added, oldKid);

    const deadline = Date.now() + 10_000;
    let published = await jwks();
    while (!published.keys.some((k) => k.kid === added) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      published = await jwks();
    }
    assert.deepEqual(published.keys.map((k) => k.kid).sort(), [added, oldKid].sort(), 'both keys are published');

    const after = await token();
    assert.equal(decodeProtectedHeader(after).kid, added, 'the new key signs');
    const keySet = createLocalJWKSet(published);
    for (const t of [before, after]) await jwtVerify(t, keySet, { issuer: gh.issuer, audience: CMS, typ: 'at+jwt' });
    assert.equal((await introspect(gh.issuer, before)).active, true, 'introspection still knows the retired key');
    assert.equal((await introspect(gh.issuer, after)).active, true);

    const listed = await runCliInProcess(['keys', 'list', '--json'], { GATEHOUSE_KEYS_DIR: gh.config.keysDir });
    const rows = JSON.parse(listed.stdout) as Array<{ kid: string; status: string; retired_at?: string }>;
    assert.deepEqual(rows.map((r) => [r.kid, r.status]), [[added, 'signing'], [oldKid, 'published']]);
    assert.ok(rows[1]!.retired_at);

    // Published once as an event (signing_key.rotated), for services that cache keys.
    const events = await eventually(async () => {
      const rows = await gh.gatehouse.storage.db('events').select('data').where('type', 'signing_key.rotated');
      return rows.length ? rows : undefined;
    }, { what: 'the signing_key.rotated event' });
    assert.deepEqual(events.map((e: { data: unknown }) => (typeof e.data === 'string' ? JSON.parse(e.data) : e.data).kid), [added]);
  });

  const waitForPublished = async (kid: string) => {
    const deadline = Date.now() + 10_000;
    while (!(await jwks()).keys.some((k) => k.kid === kid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.ok((await jwks()).keys.some((k) => k.kid === kid), `${kid} is published`);
  };
  // What `gatehouse keys rotate` does, in-process, so activation delays can be shorter than a CLI start.
  const rotate = (activateInSeconds: number) => rotateKeyFile(gh.config.keysDir, 86_400, { activateInSeconds });

  it('`keys rotate --activate-in` publishes the new key at once and lists it as next, while the old key still signs', async () => {
    const signingBefore = decodeProtectedHeader(await token()).kid!;
    const result = await runCliInProcess(['keys', 'rotate', '--activate-in', '60', '--json'], { GATEHOUSE_KEYS_DIR: gh.config.keysDir, NODE_ENV: 'test' });
    assert.equal(result.code, 0, result.stderr);
    const { added } = JSON.parse(result.stdout) as { added: string };
    const listed = JSON.parse((await runCliInProcess(['keys', 'list', '--json'], { GATEHOUSE_KEYS_DIR: gh.config.keysDir })).stdout) as Array<{ kid: string; status: string }>;
    assert.equal(listed.find((r) => r.kid === added)!.status, 'next');
    await waitForPublished(added);
    assert.equal(decodeProtectedHeader(await token()).kid, signingBefore, 'the old key still signs');
  });

  it('a running node switches signing to a published key when its activation time arrives, not before', async () => {
    const signingBefore = decodeProtectedHeader(await token()).kid!;
    const { added, activatesAt } = await rotate(1);
    const deadline = Date.parse(activatesAt) + 5000;
    let kid = signingBefore;
    while (kid !== added && Date.now() < deadline) {
      const askedAt = Date.now();
      kid = decodeProtectedHeader(await token()).kid!;
      if (askedAt < Date.parse(activatesAt)) assert.equal(kid, signingBefore, 'the old key signs until the activation time');
      else if (kid !== added) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(kid, added, 'the new key signs once active');
  });

  it('a key superseded before it activated signs no token, neither before nor after its activation time', async () => {
    const signingBefore = decodeProtectedHeader(await token()).kid!;
    const pending = await rotate(0.5);
    const immediate = await rotate(0);
    // Every token issued from the rotations until well past the pending key's activation time.
    const kids: string[] = [];
    const until = Date.parse(pending.activatesAt) + 500;
    while ((Date.now() < until || kids.at(-1) !== immediate.added) && kids.length < 1000) {
      kids.push(decodeProtectedHeader(await token()).kid!);
    }
    assert.ok(kids.length > 5, `sampled ${kids.length} tokens`);
    assert.deepEqual([...new Set(kids)].filter((kid) => kid !== signingBefore && kid !== immediate.added), [], 'only the previous key, then the immediate one, signed');
    assert.equal(kids.at(-1), immediate.added);
  });

  it('`gatehouse keys generate` refuses to overwrite an existing key set', async () => {
    const result = await runCliInProcess(['keys', 'generate'], { GATEHOUSE_KEYS_DIR: gh.config.keysDir });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /already exists; use `gatehouse keys rotate`/);
  });
});
