import type { Config } from '../config/load-config.js';
import { createLogger } from '../logger.js';
import { createServices, type Services } from '../services.js';
import { createStorage, type Storage } from '../storage/create-storage.js';

/**
 * Runs `fn` with the services container over the CLI's own storage connections, closed
 * afterwards: the CLI applies the very use cases the API does. One round trip comes first: an
 * unreachable database fails here, and embedded PGlite has finished starting (knex-pglite's
 * destroy() while PGlite is still starting leaves the process running, so a command refused
 * before its first query would never exit).
 */
export async function withServices<T>(config: Config, fn: (services: Services, storage: Storage) => Promise<T>, options: { store?: boolean } = {}): Promise<T> {
  // Commands that only read or migrate the database (`store: false`) need no Redis: it may not be
  // up yet (a deployment's init step). Anything that may revoke must reach the real store, or
  // its copy of the revocation list would miss the change.
  const { redisUrl } = options.store === false ? { redisUrl: undefined } : config;
  const storage = await createStorage({ ...config, redisUrl, databasePoolMax: 2 }, createLogger('silent'));
  try {
    await storage.pingDatabase();
    // No provider here: Gatehouse's client rules alone decide, and they are stricter than its.
    const services = createServices({ config, storage, log: createLogger('silent') });
    return await fn(services, storage);
  } finally {
    await storage.close();
  }
}
