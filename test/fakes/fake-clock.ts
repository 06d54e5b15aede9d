import type { Clock } from '../../src/domain/ports/clock.js';

/** A clock that stands still until a test moves it: time-dependent rules without sleeping. */
export interface FakeClock extends Clock {
  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void;
  set(at: Date): void;
}

export function createFakeClock(start = new Date('2030-01-01T12:00:00.000Z')): FakeClock {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance(ms) {
      current += ms;
    },
    set(at) {
      current = at.getTime();
    },
  };
}
