import type { Logger } from '../logger.js';
import type { StorageObservation } from './domain-errors.js';

type Backend = StorageObservation['backend'];

const NAMES: Record<Backend, string> = { postgres: 'database', store: 'store' };

/**
 * One log line per change of a backend's availability, however many calls an outage fails: a
 * warning when the first call fails ("database unavailable"), an info line when a call that
 * started after that succeeds ("database available again", with how long it was down). Calls
 * that were already running when the outage began do not count as recovery, so an outage does
 * not flap in the log. Fed by every storage call's observation and by the readiness checks.
 */
export function createAvailabilityLog(log: Logger, now: () => number = Date.now) {
  const downSince = new Map<Backend, number>();

  function record(backend: Backend, ok: boolean, startedAt: number, reason?: unknown): void {
    const since = downSince.get(backend);
    if (!ok && since === undefined) {
      downSince.set(backend, now());
      log.warn(`${NAMES[backend]} unavailable`, { backend: NAMES[backend], reason });
    } else if (ok && since !== undefined && startedAt >= since) {
      downSince.delete(backend);
      log.info(`${NAMES[backend]} available again`, { backend: NAMES[backend], down_seconds: Math.round((now() - since) / 100) / 10 });
    }
  }

  return {
    observe(observation: StorageObservation): void {
      record(observation.backend, !observation.failed, now() - observation.seconds * 1000, observation.reason);
    },
    /** A readiness check's result: `startedAt` is when the check began (epoch ms). */
    checked(backend: Backend, ok: boolean, startedAt: number, reason?: unknown): void {
      record(backend, ok, startedAt, reason);
    },
    /** Whether the backend is down as far as this process has seen. */
    isDown: (backend: Backend) => downSince.has(backend),
  };
}

export type AvailabilityLog = ReturnType<typeof createAvailabilityLog>;
