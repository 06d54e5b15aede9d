import assert from 'node:assert/strict';

import {
  generateClientSecret, hashClientSecret, isPlaceholder, isSecretHashList, rotateSecretHashes, unusableSecretPlaceholder, verifyClientSecret, type ClientSecretHash,
} from '../../src/domain/clients/client-secret.js';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

describe('unit: client secrets', () => {
  it('generates 43-character base64url secrets, different every time', () => {
    const a = generateClientSecret();
    assert.match(a, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, generateClientSecret());
  });

  it('hashes to a prefixed SHA-256 the stored shape accepts', () => {
    const hash = hashClientSecret('s3cret');
    assert.match(hash, /^sha256:[A-Za-z0-9_-]{43}$/);
    assert.equal(hash, hashClientSecret('s3cret'));
    assert.ok(isSecretHashList([{ hash, createdAt: iso(T0) }, { hash, createdAt: iso(T0), expiresAt: iso(T0 + 1) }]));
  });

  it('rejects malformed stored hash lists (wrong prefix, bad dates, extra keys)', () => {
    const hash = hashClientSecret('x');
    assert.ok(!isSecretHashList([{ hash: 'md5:abc', createdAt: iso(T0) }]));
    assert.ok(!isSecretHashList([{ hash, createdAt: 'yesterday' }]));
    assert.ok(!isSecretHashList([{ hash, createdAt: iso(T0), secret: 'x' }]));
    assert.ok(!isSecretHashList({ hash }));
  });

  it('verifies a presented secret against live hashes only', () => {
    const hashes: ClientSecretHash[] = [
      { hash: hashClientSecret('old'), createdAt: iso(T0), expiresAt: iso(T0 + 1000) },
      { hash: hashClientSecret('new'), createdAt: iso(T0) },
    ];
    assert.ok(verifyClientSecret('new', hashes, T0 + 5000));
    assert.ok(verifyClientSecret('old', hashes, T0 + 999));
    assert.ok(!verifyClientSecret('old', hashes, T0 + 1000), 'an ended secret is refused from its end on');
    assert.ok(!verifyClientSecret('other', hashes, T0));
  });

  it('refuses anything that is not a non-empty string, and any secret when no hash is stored', () => {
    const hashes = [{ hash: hashClientSecret('new'), createdAt: iso(T0) }];
    for (const presented of [undefined, null, 42, '', ['new']]) assert.ok(!verifyClientSecret(presented, hashes, T0));
    assert.ok(!verifyClientSecret('new', [], T0));
    assert.ok(!verifyClientSecret('new', undefined, T0));
  });

  it('rotates: the new hash live at once, previous live ones ending after the overlap, expired ones dropped', () => {
    const hashes: ClientSecretHash[] = [
      { hash: hashClientSecret('ancient'), createdAt: iso(T0 - 10_000), expiresAt: iso(T0 - 1) },
      { hash: hashClientSecret('current'), createdAt: iso(T0 - 5000) },
    ];
    const rotated = rotateSecretHashes(hashes, hashClientSecret('next'), T0, 60);
    assert.deepEqual(rotated.hashes, [
      { hash: hashClientSecret('current'), createdAt: iso(T0 - 5000), expiresAt: iso(T0 + 60_000) },
      { hash: hashClientSecret('next'), createdAt: iso(T0) },
    ]);
    assert.equal(rotated.previousSecretExpiresAt, iso(T0 + 60_000));
  });

  it('keeps a previous secret\'s own earlier end when rotating again within an overlap', () => {
    const hashes: ClientSecretHash[] = [
      { hash: hashClientSecret('a'), createdAt: iso(T0 - 5000), expiresAt: iso(T0 + 10_000) },
      { hash: hashClientSecret('b'), createdAt: iso(T0 - 1000) },
    ];
    const rotated = rotateSecretHashes(hashes, hashClientSecret('c'), T0, 60);
    assert.deepEqual(rotated.hashes.map((h) => h.expiresAt), [iso(T0 + 10_000), iso(T0 + 60_000), undefined]);
    assert.equal(rotated.previousSecretExpiresAt, iso(T0 + 60_000));
  });

  it('ends previous secrets at once with an overlap of 0, and reports no end when none was live', () => {
    const current = [{ hash: hashClientSecret('current'), createdAt: iso(T0) }];
    const immediate = rotateSecretHashes(current, hashClientSecret('next'), T0, 0);
    assert.deepEqual(immediate.hashes.map((h) => h.hash), [hashClientSecret('next')]);
    assert.equal(rotateSecretHashes(undefined, hashClientSecret('first'), T0, 60).previousSecretExpiresAt, undefined);
  });

  it('tells Gatehouse\'s unusable placeholder from a legacy plain-text secret', () => {
    const placeholder = unusableSecretPlaceholder();
    assert.ok(isPlaceholder(placeholder));
    assert.notEqual(placeholder, unusableSecretPlaceholder());
    assert.ok(!isPlaceholder('legacy-secret'));
    assert.ok(!isPlaceholder(undefined));
  });
});
