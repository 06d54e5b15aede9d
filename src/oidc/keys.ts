import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

import { AppError } from '../domain/errors.js';

/** One signing key as kept in keys/jwks.json: a private RS256 JWK. */
export type PrivateJwk = JWK & { kid: string; alg: 'RS256'; use: 'sig' };

export interface KeyMeta {
  /** ISO time the key was created */
  created_at: string;
  /**
   * ISO time the key starts signing. Until then it is only published, so services that cache
   * JWKS learn it before any token carries its kid. Absent: signing since creation.
   */
  activates_at?: string;
  /** ISO time a newer key took over signing; the key stays published until tokens it signed expire */
  retired_at?: string;
}

/** The file: a private JWKS plus, per kid, when the key was made, starts signing and retired. */
export interface KeyFile {
  keys: PrivateJwk[];
  meta: Record<string, KeyMeta>;
}

export class KeyFileError extends AppError {
  constructor(message: string) {
    super('keys_invalid', 500, message, { expose: true });
  }
}

export const keyFilePath = (keysDir: string) => join(keysDir, 'jwks.json');

export function readKeyFile(keysDir: string): KeyFile | undefined {
  const path = keyFilePath(keysDir);
  if (!existsSync(path)) return undefined;
  let parsed: KeyFile;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as KeyFile;
  } catch (cause) {
    throw new KeyFileError(`${path}: not valid JSON (${(cause as Error).message})`);
  }
  if (!Array.isArray(parsed.keys) || parsed.keys.length === 0) throw new KeyFileError(`${path}: expected {"keys": [ ...at least one private JWK ]}`);
  for (const key of parsed.keys) {
    if (key.kty !== 'RSA' || !key.d || !key.kid || key.alg !== 'RS256') throw new KeyFileError(`${path}: key ${String(key.kid)} must be a private RSA JWK with kid and alg RS256`);
  }
  parsed.meta ??= {};
  return parsed;
}

/** Writes atomically with mode 0600: readers never see a half-written key set. */
export function writeKeyFile(keysDir: string, file: KeyFile): void {
  mkdirSync(keysDir, { recursive: true });
  const path = keyFilePath(keysDir);
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, path);
}

export async function generateSigningKey(): Promise<PrivateJwk> {
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { ...jwk, kid, alg: 'RS256', use: 'sig' } as PrivateJwk;
}

/** `gatehouse keys generate`: the first key. Refuses to replace an existing set (use rotate). */
export async function generateKeyFile(keysDir: string): Promise<KeyFile> {
  if (readKeyFile(keysDir)) throw new KeyFileError(`${keyFilePath(keysDir)} already exists; use \`gatehouse keys rotate\` to add a key`);
  const key = await generateSigningKey();
  const file: KeyFile = { keys: [key], meta: { [key.kid]: { created_at: new Date().toISOString() } } };
  writeKeyFile(keysDir, file);
  return file;
}

/**
 * `gatehouse keys rotate`: a new key is published at once and signs from `activateInSeconds`
 * on (0: at once). The key it replaces retires then; retired keys stay published until
 * `retainSeconds` after retiring (the longest lifetime of anything they signed), then go.
 */
export async function rotateKeyFile(
  keysDir: string,
  retainSeconds: number,
  options: { now?: Date; activateInSeconds?: number } = {},
): Promise<{ file: KeyFile; added: string; activatesAt: string; removed: string[] }> {
  const now = options.now ?? new Date();
  const current = readKeyFile(keysDir);
  if (!current) throw new KeyFileError(`${keyFilePath(keysDir)} does not exist; run \`gatehouse keys generate\` first`);
  const key = await generateSigningKey();
  const activatesAt = new Date(now.getTime() + (options.activateInSeconds ?? 0) * 1000).toISOString();
  const meta: Record<string, KeyMeta> = { ...current.meta, [key.kid]: { created_at: now.toISOString(), activates_at: activatesAt } };
  for (const k of current.keys) {
    const m = meta[k.kid] ?? { created_at: now.toISOString() };
    meta[k.kid] = { ...m, retired_at: m.retired_at ?? activatesAt };
  }
  const removed: string[] = [];
  const kept = current.keys.filter((k) => {
    const retired = meta[k.kid]!.retired_at!;
    const expired = now.getTime() - Date.parse(retired) > retainSeconds * 1000;
    if (expired) {
      removed.push(k.kid);
      delete meta[k.kid];
    }
    return !expired;
  });
  const file: KeyFile = { keys: [key, ...kept], meta };
  writeKeyFile(keysDir, file);
  return { file, added: key.kid, activatesAt, removed };
}

/**
 * The keys in the order oidc-provider wants them: the one signing at `now` first (the newest
 * key already active), the others after it, still published for verification.
 */
export function keysInSigningOrder(file: KeyFile, now = new Date()): PrivateJwk[] {
  const activeSince = (k: PrivateJwk) => Date.parse(file.meta[k.kid]?.activates_at ?? file.meta[k.kid]?.created_at ?? '1970-01-01T00:00:00Z');
  const retired = (k: PrivateJwk) => {
    const at = file.meta[k.kid]?.retired_at;
    return at !== undefined && Date.parse(at) <= now.getTime();
  };
  // A key superseded before it ever activated (rotated twice) must not start signing later.
  const active = file.keys
    .filter((k) => activeSince(k) <= now.getTime() && !retired(k))
    .sort((a, b) => activeSince(b) - activeSince(a));
  const signing = active[0] ?? file.keys[file.keys.length - 1]!;
  return [signing, ...file.keys.filter((k) => k !== signing)];
}

/** When the next published-but-not-yet-signing key activates (ms epoch), if any. */
export function nextActivation(file: KeyFile, now = new Date()): number | undefined {
  const future = Object.values(file.meta)
    .map((m) => (m.activates_at ? Date.parse(m.activates_at) : NaN))
    .filter((t) => t > now.getTime());
  return future.length ? Math.min(...future) : undefined;
}

/** Development start: create the first key when there is none. */
export async function ensureKeyFile(keysDir: string): Promise<KeyFile> {
  return readKeyFile(keysDir) ?? generateKeyFile(keysDir);
}

/** Cookie-signing secrets for development, kept beside the keys so restarts keep sessions. */
export function ensureDevCookieKeys(keysDir: string): string[] {
  const path = join(keysDir, 'cookie-keys.json');
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as string[];
  const keys = [randomBytes(32).toString('base64url')];
  mkdirSync(keysDir, { recursive: true });
  writeFileSync(path, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}
