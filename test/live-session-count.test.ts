import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';

import type { Adapter } from 'oidc-provider';

import type { Store } from '../src/domain/ports/store.js';
import { createAdapterClass, type AdapterDeps } from '../src/oidc/adapter.js';
import { createSessionDirectory } from '../src/oidc/session-directory.js';
import { createMemoryStore } from '../src/storage/memory/memory-store.js';
import { createRedisStore } from '../src/storage/redis/redis-store.js';
import { eventually } from './helpers/eventually.js';
import { serverUrls } from './helpers/harness.js';

const ACCOUNTS = ['alice', 'bob', 'carol', 'dave'];

/**
 * The dashboard's active sessions, counted from the store's live index (not by reading every
 * account's sessions): sessions as oidc-provider saves them through the adapter, then expired,
 * logged out, rotated and ended by the API. At every step the count agrees with what the
 * session lists show, for everyone and for any group of accounts (a lab's members).
 */
function describeLiveSessionCount(name: string, create: () => Promise<Store>): void {
  describe(`live session count: ${name}`, () => {
    let store: Store | undefined;
    afterEach(async () => {
      await store?.flush();
      await store?.close();
    });

    it('counts unexpired sessions of accounts, not ended, expired or anonymous ones, for everyone and for some accounts', async () => {
      store = await create();
      // Sessions touch only the store: the adapter's other dependencies are never called.
      const Adapter = createAdapterClass({ store, clientCache: { max: 10, ttlSeconds: 60 } } as unknown as AdapterDeps);
      const sessions = new Adapter('Session');
      const directory = createSessionDirectory({ store });
      const save = (adapter: Adapter, id: string, accountId: string | undefined, ttlSeconds: number) => {
        const now = Date.now() / 1000;
        return adapter.upsert(id, { uid: `uid-${id}`, ...(accountId ? { accountId } : {}), loginTs: Math.floor(now), iat: Math.floor(now), exp: now + ttlSeconds }, ttlSeconds);
      };
      const listed = async (accounts: string[]) => (await Promise.all(accounts.map((a) => directory.sessionsOf(a)))).reduce((sum, list) => sum + list.length, 0);
      const expectCounts = async (everyone: number, alice: number, what: string) => {
        assert.equal(await directory.countLive(), everyone, `everyone: ${what}`);
        assert.equal(await listed(ACCOUNTS), everyone, `the lists agree: ${what}`);
        assert.equal(await directory.countLive(['alice']), alice, `alice: ${what}`);
        assert.equal(await directory.countLive(['bob', 'carol', 'bob']), everyone - alice, `bob and carol (each once): ${what}`);
      };

      await save(sessions, 's1', 'alice', 60);
      await save(sessions, 's2', 'alice', 60);
      await save(sessions, 's3', 'bob', 60);
      await save(sessions, 'brief', 'carol', 0.3);
      await save(sessions, 'anonymous', undefined, 60);
      await expectCounts(4, 2, 'four signed-in sessions; the anonymous one is nobody\'s');
      assert.equal(await directory.countLive(['dave']), 0);
      assert.equal(await directory.countLive([]), 0);

      await save(sessions, 's1', 'alice', 60);
      await expectCounts(4, 2, 'saving a session again does not count it twice');

      await eventually(async () => ((await directory.countLive()) === 3 ? true : undefined), { timeoutMs: 5000, what: 'carol\'s session to expire' });
      await expectCounts(3, 2, 'carol\'s session expired');

      await sessions.destroy('s2');
      await expectCounts(2, 1, 'alice logged out of s2');

      // A new login over an existing session: oidc-provider destroys the old id and saves a new one.
      await sessions.destroy('s1');
      await save(sessions, 's1-renewed', 'alice', 60);
      await expectCounts(2, 1, 'the session id rotated');

      assert.equal(await directory.end('alice', 'uid-s1-renewed'), true);
      await expectCounts(1, 0, 'an admin ended alice\'s session');

      await directory.endAll('bob');
      await expectCounts(0, 0, 'bob was signed out everywhere (blocked)');
    });
  });
}

describeLiveSessionCount('in-process store', async () => createMemoryStore());
if (serverUrls.redis) describeLiveSessionCount('Redis store', () => createRedisStore(serverUrls.redis!, `gh-sessions-${randomBytes(4).toString('hex')}:`));
