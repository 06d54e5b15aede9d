import assert from 'node:assert/strict';

import { createLoginThrottle } from '../../src/domain/users/login-throttle.js';
import { createMemoryStore } from '../../src/storage/memory/memory-store.js';
import { createFakeClock } from '../fakes/fake-clock.js';

function setup(maxFailures = 3, lockoutSeconds = 60) {
  const clock = createFakeClock();
  const store = createMemoryStore({ clock });
  return { throttle: createLoginThrottle({ store, maxFailures, lockoutSeconds }), clock, store };
}

describe('unit: login throttle (on the embedded store, with an injected clock)', () => {
  it('locks a subject at the configured number of failures, reporting the failure that started the lock once', async () => {
    const { throttle } = setup();
    assert.deepEqual([await throttle.recordFailure('mary'), await throttle.recordFailure('mary')], [false, false]);
    assert.equal(await throttle.isLocked('mary'), false);
    assert.equal(await throttle.recordFailure('mary'), true);
    assert.equal(await throttle.isLocked('mary'), true);
    assert.equal(await throttle.recordFailure('mary'), false, 'a further failure does not start the lock again');
  });

  it('lifts the lock when the window that began at the first failure ends, however late the later failures came', async () => {
    const { throttle, clock } = setup();
    await throttle.recordFailure('mary');
    clock.advance(50_000);
    await throttle.recordFailure('mary');
    await throttle.recordFailure('mary');
    clock.advance(9_999);
    assert.equal(await throttle.isLocked('mary'), true, 'still locked just before the window ends');
    clock.advance(1);
    assert.equal(await throttle.isLocked('mary'), false, 'the window is fixed: later failures did not extend it');
    assert.equal(await throttle.recordFailure('mary'), false, 'counting starts afresh');
  });

  it('counts each subject on its own and forgets a subject\'s failures on reset', async () => {
    const { throttle } = setup(2);
    await throttle.recordFailure('mary');
    await throttle.recordFailure('mary');
    assert.equal(await throttle.isLocked('john'), false);
    await throttle.reset('mary');
    assert.equal(await throttle.isLocked('mary'), false);
  });

  it('never locks when maxFailures is 0 (the lockout turned off)', async () => {
    const { throttle } = setup(0);
    for (let i = 0; i < 10; i += 1) assert.equal(await throttle.recordFailure('mary'), false);
    assert.equal(await throttle.isLocked('mary'), false);
  });
});
