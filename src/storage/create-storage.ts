import type { Config } from '../config/load-config.js';
import type { Logger } from '../logger.js';
import { createDatabase, type Database } from './postgres/database.js';
import { createMemoryStore } from './memory/memory-store.js';
import { createRedisStore } from './redis/redis-store.js';
import type { Store } from './store.js';

export interface Storage {
  db: Database;
  store: Store;
  databaseMode: 'postgres' | 'embedded';
  close(): Promise<void>;
}

/** Real servers when their URLs are configured, embedded twins otherwise. */
export async function createStorage(
  config: Pick<Config, 'databaseUrl' | 'dataDir' | 'databasePoolMax' | 'redisUrl' | 'redisKeyPrefix'>,
  log: Logger,
): Promise<Storage> {
  const { db, mode } = createDatabase({
    databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: config.databasePoolMax,
    onWarning: (message) => log.warn('database', { message }),
  });
  let store: Store;
  try {
    store = config.redisUrl ? await createRedisStore(config.redisUrl, config.redisKeyPrefix) : createMemoryStore();
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return {
    db,
    store,
    databaseMode: mode,
    async close() {
      await store.close();
      await db.destroy();
    },
  };
}
