import type { Config } from '../config/load-config.js';
import type { LeaseRelayCursor } from '../domain/ports/event-repository.js';
import type { Repositories, Transaction } from '../domain/ports/repositories.js';
import type { RateLimiters } from '../domain/ports/rate-limiter.js';
import type { Store } from '../domain/ports/store.js';
import type { Logger } from '../logger.js';
import { guardStorage, withDomainErrors, type StorageObserver } from './domain-errors.js';
import { createMemoryStore } from './memory/memory-store.js';
import { createDatabase, migrateLatest, pendingMigrations, type Database } from './postgres/database.js';
import { createRelayCursorLease, createRelayLag, createRepositories, createTransaction } from './postgres/repositories.js';
import { createRateLimiters } from './rate-limiters.js';
import { connectRedis, redisStore } from './redis/redis-store.js';

/**
 * The storage adapters behind the domain's ports. Everything here throws the domain's errors
 * (StorageUnavailableError, DuplicateError, MissingReferenceError), never a driver's.
 */
export interface Storage {
  repos: Repositories;
  transaction: Transaction;
  /** The outbox relays' cursors, each leased to one node at a time. */
  leaseRelayCursor: LeaseRelayCursor;
  /** Age in seconds of the oldest event each named relay has still to take (for the metrics). */
  relayLag(names: readonly string[]): Promise<Map<string, number>>;
  store: Store;
  /** Request rate limits, counted where the store keeps its state (Redis or this process). */
  rateLimiters: RateLimiters;
  databaseMode: 'postgres' | 'embedded';
  pingDatabase(): Promise<void>;
  migrateLatest(): Promise<string[]>;
  pendingMigrations(): Promise<string[]>;
  /** The database pool's connections: in use, free, waited for, and its size (for the metrics). */
  poolStats(): { used: number; free: number; pending: number; max: number } | undefined;
  /** The knex handle itself: for migrations tooling and tests that inspect rows, never for use cases. */
  db: Database;
  close(): Promise<void>;
}

/** Real servers when their URLs are configured, embedded twins otherwise. */
export async function createStorage(
  config: Pick<Config, 'databaseUrl' | 'dataDir' | 'databasePoolMax' | 'redisUrl' | 'redisKeyPrefix' | 'cacheMaxEntries'>,
  log: Logger,
  observe?: StorageObserver,
): Promise<Storage> {
  const { db, mode } = await createDatabase({
    databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: config.databasePoolMax,
    // Each failed connection attempt is a knex warning; an outage is logged once by the
    // availability log, so those are debug lines.
    onWarning: (message) => (/connection|timeout/i.test(message) ? log.debug : log.warn)('database', { message }),
  });
  let store: Store;
  let rateLimiters: RateLimiters;
  try {
    const redis = config.redisUrl ? await connectRedis(config.redisUrl, config.redisKeyPrefix) : undefined;
    store = redis ? redisStore(redis, config.redisKeyPrefix) : createMemoryStore();
    rateLimiters = createRateLimiters(redis, { maxKeys: config.cacheMaxEntries });
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return {
    db,
    repos: createRepositories(db, observe),
    transaction: createTransaction(db, observe),
    leaseRelayCursor: createRelayCursorLease(db, observe),
    relayLag: createRelayLag(db),
    store: withDomainErrors(store, { backend: 'store', name: 'store', observe }),
    rateLimiters,
    databaseMode: mode,
    poolStats() {
      const pool = (db.client as { pool?: { numUsed(): number; numFree(): number; numPendingAcquires(): number; max: number } }).pool;
      return pool ? { used: pool.numUsed(), free: pool.numFree(), pending: pool.numPendingAcquires(), max: pool.max } : undefined;
    },
    pingDatabase: () => guardStorage(async () => { await db.raw('select 1'); }),
    migrateLatest: () => migrateLatest(db),
    pendingMigrations: () => pendingMigrations(db),
    async close() {
      await store.close();
      await db.destroy();
    },
  };
}
