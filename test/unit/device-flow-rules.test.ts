import assert from 'node:assert/strict';

import { createDevicePolling } from '../../src/domain/devices/device-polling.js';
import { createUserCodeEntry, UserCodeEntryLimitError } from '../../src/domain/devices/user-code-entry.js';
import { TooManyRequestsError } from '../../src/domain/errors.js';
import { createMemoryStore } from '../../src/storage/memory/memory-store.js';
import { createFakeClock } from '../fakes/fake-clock.js';

describe('unit: device flow rules', () => {
  describe('wrong user codes per address', () => {
    function setup(maxFailures = 3) {
      const clock = createFakeClock();
      return { clock, entry: createUserCodeEntry({ store: createMemoryStore({ clock }), maxFailures, windowSeconds: 900 }) };
    }

    it('admits an address until it has entered the allowed wrong codes, then refuses with when to retry', async () => {
      const { entry } = setup();
      for (let i = 0; i < 3; i += 1) {
        await entry.admit('192.0.2.1');
        await entry.recordWrongCode('192.0.2.1');
        await entry.release('192.0.2.1');
      }
      await assert.rejects(entry.admit('192.0.2.1'), (error: unknown) => error instanceof UserCodeEntryLimitError
        && error instanceof TooManyRequestsError && error.status === 429 && error.retryAfterSeconds === 900);
    });

    it('counts only wrong codes, each address on its own, and a new window starts afresh', async () => {
      const { entry, clock } = setup();
      for (let i = 0; i < 10; i += 1) {
        await entry.admit('192.0.2.1');
        await entry.release('192.0.2.1');
      }
      for (let i = 0; i < 3; i += 1) await entry.recordWrongCode('192.0.2.1');
      await entry.admit('192.0.2.2');
      clock.advance(900 * 1000);
      await entry.admit('192.0.2.1');
    });

    it('checks one code at a time per address, so parallel guesses cannot all pass before one is counted', async () => {
      const { entry } = setup();
      const attempts = await Promise.allSettled(Array.from({ length: 8 }, () => entry.admit('192.0.2.1')));
      assert.equal(attempts.filter((a) => a.status === 'fulfilled').length, 1);
      await entry.admit('192.0.2.2');
      await entry.release('192.0.2.1');
      await entry.admit('192.0.2.1');
    });

    it('0 turns the limit off', async () => {
      const { entry } = setup(0);
      for (let i = 0; i < 20; i += 1) await entry.recordWrongCode('192.0.2.1');
      await entry.admit('192.0.2.1');
    });
  });

  describe('the pace of device polls', () => {
    function setup() {
      const clock = createFakeClock();
      return { clock, polling: createDevicePolling({ store: createMemoryStore({ clock }), intervalSeconds: 5 }) };
    }

    it('a poll before the interval since the device authorization is too soon; one after it is not', async () => {
      const { clock, polling } = setup();
      await polling.started('device-code-1');
      clock.advance(4000);
      assert.equal(await polling.tooSoon('device-code-1'), true);
      clock.advance(1000);
      assert.equal(await polling.tooSoon('device-code-1'), false);
    });

    it('each answered poll starts the interval again; a poll a little early (timer granularity) still counts as on time', async () => {
      const { clock, polling } = setup();
      assert.equal(await polling.tooSoon('device-code-2'), false);
      clock.advance(4900);
      assert.equal(await polling.tooSoon('device-code-2'), false);
      clock.advance(1000);
      assert.equal(await polling.tooSoon('device-code-2'), true);
    });

    it('device codes are paced independently', async () => {
      const { polling } = setup();
      await polling.started('device-code-3');
      assert.equal(await polling.tooSoon('device-code-4'), false);
      assert.equal(await polling.tooSoon('device-code-3'), true);
    });
  });
});
