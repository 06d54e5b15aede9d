import { Redis } from 'ioredis';

import type { TestGatehouse } from './harness.js';
import { mode, serverUrls } from './harness.js';

/**
 * Loses everything the fast store holds, from outside Gatehouse: on the real Redis every key under
 * this server's prefix (its sandbox's own, so other tests and other checkouts sharing the Redis
 * keep theirs: FLUSHALL would take them too), the in-process store's contents when embedded.
 */
export async function flushStore(gh: TestGatehouse): Promise<void> {
  if (mode === 'servers') {
    const redis = new Redis(serverUrls.redis!);
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${gh.config.redisKeyPrefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  } else {
    await gh.gatehouse.storage.store.flush();
  }
}
