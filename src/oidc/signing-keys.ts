import type { AuditLog } from '../domain/audit/audit-log.js';
import { ConflictError } from '../domain/errors.js';
import type { ChangeOrigin } from '../domain/management/audited-change.js';
import type { Store } from '../domain/ports/store.js';
import { MAX_ACCESS_TOKEN_TTL_SECONDS } from './grant-revoker.js';
import { keysInSigningOrder, readKeyFile, rotateKeyFile, KeyFileError, keyFilePath, type KeyFile } from './keys.js';

const ROTATION_LOCK = 'signing-key-rotation';

/** One key as operators see it: never the private parts. */
export interface SigningKeyView {
  kid: string;
  alg: string;
  /** `signing`: signs new tokens; `next`: published, signs from activatesAt; `published`: retired or superseded, kept for verification. */
  status: 'signing' | 'next' | 'published';
  createdAt: string;
  activatesAt?: string;
  retiredAt?: string;
}

/** Retired keys must outlive every token they signed: the longest of ID and access tokens, plus a margin. */
export const keyRetainSeconds = (idTokenTtlSeconds: number) => Math.max(idTokenTtlSeconds, MAX_ACCESS_TOKEN_TTL_SECONDS) + 300;

/** The key set in file order (newest first), with each key's status at `now`. */
export function describeKeys(file: KeyFile, now = new Date()): SigningKeyView[] {
  const signing = keysInSigningOrder(file, now)[0]!.kid;
  return file.keys.map((k) => {
    const meta = file.meta[k.kid];
    const status = k.kid === signing ? 'signing' : meta?.activates_at && Date.parse(meta.activates_at) > now.getTime() ? 'next' : 'published';
    return {
      kid: k.kid, alg: k.alg, status, createdAt: meta?.created_at ?? new Date(0).toISOString(),
      ...(meta?.activates_at ? { activatesAt: meta.activates_at } : {}), ...(meta?.retired_at ? { retiredAt: meta.retired_at } : {}),
    };
  });
}

/**
 * Records a newly published signing key (`signing_key.rotated`, which also publishes the event)
 * once for the whole cluster: the first to claim the kid in the shared store records it — the
 * API call that rotated it (with its caller as actor), or else the first node to notice the file.
 */
export async function announceSigningKey(deps: { store: Pick<Store, 'claim' | 'delete'>; audit: Pick<AuditLog, 'record'> }, kid: string, activatesAt: string | undefined, origin: ChangeOrigin): Promise<void> {
  const claim = `signing-key-announced:${kid}`;
  if (!(await deps.store.claim(claim, 90 * 86_400))) return;
  try {
    await deps.audit.record({ ...origin, action: 'signing_key.rotated', target: `key:${kid}`, details: { kid, activatesAt: activatesAt ?? null } });
  } catch (error) {
    // Another node's next reload, or this one's, may try again.
    await deps.store.delete([claim]).catch(() => undefined);
    throw error;
  }
}

/**
 * The signing keys for the management API: the same key file the CLI manages
 * (GATEHOUSE_KEYS_DIR/jwks.json, shared by every node), which running nodes reload within
 * GATEHOUSE_KEYS_RELOAD_SECONDS.
 */
export function createSigningKeys(deps: { keysDir: string; retainSeconds: number; store: Pick<Store, 'claim' | 'delete'>; audit: Pick<AuditLog, 'record'> }) {
  const current = (): KeyFile => {
    const file = readKeyFile(deps.keysDir);
    if (!file) throw new KeyFileError(`${keyFilePath(deps.keysDir)} does not exist`);
    return file;
  };
  return {
    list: (): SigningKeyView[] => describeKeys(current()),
    /** Publishes a new key at once; it signs from `activateInSeconds` on (pre-publication lets services caching the JWKS learn it first). */
    async rotate(origin: ChangeOrigin, activateInSeconds: number): Promise<{ added: string; activatesAt: string; removed: string[]; keys: SigningKeyView[] }> {
      // Read, add, write: two rotations at once on two nodes would each drop the other's key.
      if (!(await deps.store.claim(ROTATION_LOCK, 30))) throw new ConflictError('another signing key rotation is in progress');
      try {
        const { file, added, activatesAt, removed } = await rotateKeyFile(deps.keysDir, deps.retainSeconds, { activateInSeconds });
        await announceSigningKey(deps, added, activatesAt, origin);
        return { added, activatesAt, removed, keys: describeKeys(file) };
      } finally {
        await deps.store.delete([ROTATION_LOCK]);
      }
    },
  };
}

export type SigningKeys = ReturnType<typeof createSigningKeys>;
