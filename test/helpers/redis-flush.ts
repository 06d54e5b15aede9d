import { Redis } from 'ioredis';

import type { TestGatehouse } from './harness.js';
import { mode, serverUrls } from './harness.js';

/**
 * Loses everything the fast store holds: FLUSHALL on the real Redis in servers mode (tests run
 * serially, so only this test's data is there), the in-process store's contents when embedded.
 */
export async function flushStore(gh: TestGatehouse): Promise<void> {
  if (mode === 'servers') {
    const redis = new Redis(serverUrls.redis!);
    await redis.flushall();
    redis.disconnect();
  } else {
    await gh.gatehouse.storage.store.flush();
  }
}
