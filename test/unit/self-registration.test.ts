import assert from 'node:assert/strict';

import { TooManyRequestsError } from '../../src/domain/errors.js';
import type { Registration } from '../../src/domain/management/user-management.js';
import { createSelfRegistration, RegistrationLimitError } from '../../src/domain/users/self-registration.js';
import { createMemoryStore } from '../../src/storage/memory/memory-store.js';
import { createFakeClock } from '../fakes/fake-clock.js';

function setup() {
  const clock = createFakeClock();
  const registered: Registration[] = [];
  const registration = createSelfRegistration({
    users: { register: async (_origin, input) => { registered.push(input); return { created: true }; } },
    store: createMemoryStore({ clock }),
    perWindow: 3,
    windowSeconds: 3600,
  });
  return { registration, registered, clock };
}

describe('unit: self-registration', () => {
  it('admits a fixed number of attempts per address and window, then refuses with when to retry', async () => {
    const { registration } = setup();
    for (let i = 0; i < 3; i += 1) await registration.admit('192.0.2.1');
    await assert.rejects(registration.admit('192.0.2.1'), (error: unknown) => error instanceof RegistrationLimitError
      && error instanceof TooManyRequestsError && error.status === 429 && error.retryAfterSeconds === 3600);
  });

  it('counts each address on its own, and a new window starts afresh', async () => {
    const { registration, clock } = setup();
    for (let i = 0; i < 3; i += 1) await registration.admit('192.0.2.1');
    await registration.admit('192.0.2.2');
    clock.advance(3600 * 1000);
    await registration.admit('192.0.2.1');
  });

  it('registers through the user use case (whose rules and answers apply)', async () => {
    const { registration, registered } = setup();
    const input = { username: 'nina', email: 'nina@example.org', password: 'a long enough password' };
    assert.deepEqual(await registration.register({ actor: 'anonymous', ip: '192.0.2.1' }, input), { created: true });
    assert.deepEqual(registered, [input]);
  });
});
