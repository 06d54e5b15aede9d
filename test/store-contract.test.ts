import { randomBytes } from 'node:crypto';

import { createMemoryStore } from '../src/storage/memory/memory-store.js';
import { createRedisStore } from '../src/storage/redis/redis-store.js';
import { serverUrls } from './helpers/harness.js';
import { describeStoreContract } from './helpers/store-contract.js';

// Redis Sentinel and Cluster run the same contract in test/redis-high-availability.test.ts.
describeStoreContract('in-process store', async () => createMemoryStore());
if (serverUrls.redis) describeStoreContract('Redis store', () => createRedisStore(serverUrls.redis!, `gh-contract-${randomBytes(4).toString('hex')}:`));
