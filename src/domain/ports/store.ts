import type { RevocationBroadcast } from './revocation-broadcast.js';

/**
 * The fast, shared, non-durable store: Redis in a cluster, an in-process twin when embedded.
 * It holds what may be lost (browser sessions, interactions, codes in flight, locks) and a copy
 * of the durable revocation list whose authority stays in Postgres.
 * TTLs are in seconds and may be fractional: both implementations honour them to the millisecond.
 */
export interface Store {
  readonly mode: 'redis' | 'memory';
  getJson<T>(key: string): Promise<T | undefined>;
  /** Writes `value`; with `ttlSeconds` the key disappears after that many seconds. */
  setJson(key: string, value: unknown, ttlSeconds?: number): Promise<void>;
  delete(keys: string[]): Promise<void>;
  /** Sets `key` only if absent: true for the one caller that got it. The basis of locks and single use. */
  claim(key: string, ttlSeconds: number): Promise<boolean>;
  /**
   * Adds one to a counter and returns the new count. The first increment starts the counter's
   * lifetime of `ttlSeconds`; later ones do not extend it (a fixed window). Atomic.
   */
  increment(key: string, ttlSeconds: number): Promise<number>;
  /** Adds `member` to a set, extending the set's lifetime to at least `ttlSeconds`. */
  addToSet(key: string, member: string, ttlSeconds: number): Promise<void>;
  setMembers(key: string): Promise<string[]>;

  /**
   * Adds `member` to a set whose members expire one by one: this one `ttlSeconds` from now (adding
   * it again moves its expiry, earlier or later). The set itself lasts as long as its last member.
   * It exists to be counted cheaply (`countExpiring`), which a plain set of expiring keys is not.
   */
  addExpiring(key: string, member: string, ttlSeconds: number): Promise<void>;
  removeExpiring(key: string, members: ReadonlyArray<string>): Promise<void>;
  /** Members not yet expired: all of them, or those of `among` (each counted once). */
  countExpiring(key: string, among?: ReadonlyArray<string>): Promise<number>;

  /** Records revoked entries (`kind:value` → until `expiresAt`, epoch seconds). */
  addRevocations(entries: ReadonlyArray<RevocationEntry>): Promise<void>;
  /**
   * true if any entry is revoked; false if none is and the copy is complete; undefined when the
   * copy cannot be trusted (never loaded, or lost to a flush or restart) and Postgres must answer.
   */
  checkRevocations(entries: ReadonlyArray<Pick<RevocationEntry, 'kind' | 'value'>>): Promise<boolean | undefined>;
  /** Starts a reload of the copy; the returned token must be shown to `markRevocationsLoaded`. */
  beginRevocationsLoad(): Promise<string>;
  /**
   * Marks the copy complete after a reload — only if nothing interrupted that reload (a flush, a
   * restart, a stale mark): otherwise false, and the copy stays untrusted. Atomic.
   */
  markRevocationsLoaded(loadToken: string): Promise<boolean>;
  /** Marks the copy incomplete (and cancels a reload in progress): readers go to Postgres. */
  markRevocationsStale(): Promise<void>;

  /** Redis only: the ordered feed of revocations each process follows to keep its own copy. */
  readonly revocationBroadcast?: RevocationBroadcast;

  ping(): Promise<void>;
  /** Drops everything (tests and operators simulating a Redis loss). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export type RevocationKind = 'jti' | 'grant';

export interface RevocationEntry {
  kind: RevocationKind;
  value: string;
  /** epoch seconds */
  expiresAt: number;
}
