import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';

import { Redis } from 'ioredis';

import { createMemoryStore } from '../src/storage/memory/memory-store.js';
import { createRedisStore } from '../src/storage/redis/redis-store.js';
import { serverUrls } from './helpers/harness.js';
import { describeStoreContract } from './helpers/store-contract.js';

// Redis Sentinel and Cluster run the same contract in test/redis-high-availability.test.ts.
describeStoreContract('in-process store', async () => createMemoryStore());
if (serverUrls.redis) describeStoreContract('Redis store', () => createRedisStore(serverUrls.redis!, `gh-contract-${randomBytes(4).toString('hex')}:`));

if (serverUrls.redis) {
  describe('Redis store: the session and grant indexes', () => {
    it('writes a member and its set\'s expiry as one command each (a script), not a MULTI block of five or six', async () => {
      const prefix = `gh-contract-${randomBytes(4).toString('hex')}:`;
      const store = await createRedisStore(serverUrls.redis!, prefix);
      const monitor = await new Redis(serverUrls.redis!).monitor();
      const commands: string[] = [];
      // What the client sent: commands a script runs are shown too, from source `lua`.
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        if (source === 'lua') return;
        if (args.some((arg) => arg.startsWith(prefix))) commands.push(args[0]!.toLowerCase());
      });
      try {
        // Twice: the first may load the script (EVALSHA refused, then EVAL); the second is what every later sign-in costs.
        for (let i = 0; i < 2; i++) {
          commands.length = 0;
          await store.addToSet('account', `session-${i}`, 60);
          await store.addExpiring('live', `session-${i}`, 60);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.deepEqual(commands, ['evalsha', 'evalsha']);
        assert.deepEqual((await store.setMembers('account')).sort(), ['session-0', 'session-1']);
        assert.equal(await store.countExpiring('live'), 2);
      } finally {
        monitor.disconnect();
        await store.flush();
        await store.close();
      }
    });
  });
}
