import { StorageUnavailableError } from '../domain/errors.js';
import type { Logger } from '../logger.js';

/**
 * Runs `task` again and again in the background: at once while it finds work (it answers how
 * much it did; with `fullAt`, only while it finds at least that much), every `idleMs`
 * otherwise, and after a failure every `idleMs` too. A failure is logged once when it starts and
 * once when it ends (one line per state change, not per try). `stop` waits for the run in
 * progress, so a delivery is never cut off by a graceful shutdown.
 */
export function startBackgroundLoop(name: string, task: () => Promise<number>, options: { idleMs: number; log: Logger; fullAt?: number }): () => Promise<void> {
  const fullAt = options.fullAt ?? 1;
  let stopped = false;
  let failing = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const schedule = (delay: number) => {
    if (stopped) return;
    timer = setTimeout(() => { running = tick(); }, delay);
    timer.unref();
  };

  // A storage outage is logged once per state change by the availability log
  // (src/storage/availability-log.ts): this loop's lines about it are debug lines.
  let outage = false;

  async function tick(): Promise<void> {
    try {
      const done = await task();
      if (failing) (outage ? options.log.debug : options.log.info)(`${name} recovered`);
      failing = false;
      schedule(done >= fullAt ? 0 : options.idleMs);
    } catch (error) {
      if (!failing) {
        outage = error instanceof StorageUnavailableError;
        (outage ? options.log.debug : options.log.warn)(`${name} failing; retrying every ${options.idleMs} ms`, { error: error instanceof Error ? error.message : String(error) });
      }
      failing = true;
      schedule(options.idleMs);
    }
  }

  schedule(0);
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
