import type { Config } from '../config/load-config.js';
import { createLogger } from '../logger.js';
import { createStorage, type Storage } from '../storage/create-storage.js';

/**
 * Runs `fn` over the CLI's own storage connections, closed afterwards. One round trip comes
 * first: an unreachable database fails here, and embedded PGlite has finished starting
 * (knex-pglite's destroy() while PGlite is still starting leaves the process running, so a
 * command refused before its first query would never exit).
 */
export async function withStorage<T>(config: Config, fn: (storage: Storage) => Promise<T>): Promise<T> {
  const storage = await createStorage({ ...config, databasePoolMax: 2 }, createLogger('silent'));
  try {
    await storage.pingDatabase();
    return await fn(storage);
  } finally {
    await storage.close();
  }
}
