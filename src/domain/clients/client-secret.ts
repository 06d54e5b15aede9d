import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Client metadata property holding the hashes of a confidential client's accepted secrets.
 * More than one is accepted during a rotation's overlap; each may carry its own end.
 */
export const CLIENT_SECRET_HASHES_PROPERTY = 'urn:gatehouse:client_secret_hashes';

/**
 * Hash of the secret the import file last set. A re-import of the same file then leaves the
 * client's secrets alone, so secrets rotated since through the API are not undone.
 */
export const IMPORTED_SECRET_PROPERTY = 'urn:gatehouse:imported_secret_hash';

/** One accepted secret, as stored: never the secret itself. Times are ISO 8601. */
export interface ClientSecretHash {
  hash: string;
  createdAt: string;
  /** Set when a newer secret replaced this one: it stops being accepted then. */
  expiresAt?: string;
}

const HASH_PREFIX = 'sha256:';
const HASH_PATTERN = /^sha256:[A-Za-z0-9_-]{43}$/;
const PLACEHOLDER_PREFIX = 'unusable:';

/**
 * A new client secret: 32 random bytes, base64url (43 characters). 256 bits of entropy is what
 * makes a fast hash sufficient (see docs/CLIENT-SECRETS.md).
 */
export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * SHA-256 of the secret. Deliberately fast: clients present their secret on every token,
 * introspection and revocation request, and a generated secret cannot be guessed offline; a
 * slow password hash would only cost throughput.
 */
export function hashClientSecret(secret: string): string {
  // The one-shot hash: a fraction of createHash's cost for a short input, on every authenticated request.
  return HASH_PREFIX + hash('sha256', secret, 'base64url');
}

/**
 * The `client_secret` value oidc-provider insists on for confidential clients. It is random,
 * never shown, and never accepted: Gatehouse compares presented secrets with the stored hashes
 * only, and no enabled feature uses the value as a key (no client_secret_jwt, no HS* or
 * symmetric-encryption algorithms).
 */
export function unusableSecretPlaceholder(): string {
  return PLACEHOLDER_PREFIX + randomBytes(32).toString('base64url');
}

/** Whether a stored `client_secret` is Gatehouse's placeholder (not a legacy plain-text secret). */
export function isPlaceholder(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(PLACEHOLDER_PREFIX);
}

/** Whether a hash list entry is still accepted at `now`. */
export function isLive(entry: ClientSecretHash, now: number): boolean {
  return entry.expiresAt === undefined || Date.parse(entry.expiresAt) > now;
}

/**
 * Whether `presented` matches any live hash. Every entry is compared in constant time, and all
 * of them are compared, so the answer takes the same time whichever one matches.
 */
export function verifyClientSecret(presented: unknown, hashes: readonly ClientSecretHash[] | undefined, now = Date.now()): boolean {
  if (typeof presented !== 'string' || !presented || !hashes?.length) return false;
  const actual = Buffer.from(hashClientSecret(presented));
  let matched = false;
  for (const entry of hashes) {
    const expected = Buffer.from(entry.hash);
    const equal = expected.length === actual.length && timingSafeEqual(expected, actual);
    if (equal && isLive(entry, now)) matched = true;
  }
  return matched;
}

/**
 * The hash list after a rotation: the new secret is accepted at once, every still-live previous
 * one until `overlapSeconds` from now (or its own earlier end), expired ones are dropped.
 * With an overlap of 0 the previous secrets stop at once.
 */
export function rotateSecretHashes(hashes: readonly ClientSecretHash[] | undefined, newHash: string, now: number, overlapSeconds: number): { hashes: ClientSecretHash[]; previousSecretExpiresAt?: string } {
  const end = now + overlapSeconds * 1000;
  const kept = overlapSeconds > 0
    ? (hashes ?? []).filter((h) => isLive(h, now)).map((h) => ({ ...h, expiresAt: new Date(Math.min(end, h.expiresAt ? Date.parse(h.expiresAt) : end)).toISOString() }))
    : [];
  const hadLive = (hashes ?? []).some((h) => isLive(h, now));
  const lastEnd = kept.reduce((latest, h) => Math.max(latest, Date.parse(h.expiresAt)), now);
  const previousSecretExpiresAt = hadLive ? new Date(lastEnd).toISOString() : undefined;
  return { hashes: [...kept, { hash: newHash, createdAt: new Date(now).toISOString() }], previousSecretExpiresAt };
}

/** Checks the stored shape (used by oidc-provider's metadata validator and the importer). */
export function isSecretHashList(value: unknown): value is ClientSecretHash[] {
  return Array.isArray(value) && value.every((h) => typeof h === 'object' && h !== null
    && typeof (h as ClientSecretHash).hash === 'string' && HASH_PATTERN.test((h as ClientSecretHash).hash)
    && typeof (h as ClientSecretHash).createdAt === 'string' && !Number.isNaN(Date.parse((h as ClientSecretHash).createdAt))
    && ((h as ClientSecretHash).expiresAt === undefined || (typeof (h as ClientSecretHash).expiresAt === 'string' && !Number.isNaN(Date.parse((h as ClientSecretHash).expiresAt!))))
    && Object.keys(h).every((k) => k === 'hash' || k === 'createdAt' || k === 'expiresAt'));
}
