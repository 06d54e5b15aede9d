import type { Logger } from '../logger.js';

/**
 * Runs `task` again and again in the background: at once while it finds work (it answers how
 * much it did), every `idleMs` otherwise, and after a failure every `idleMs` too. A failure is
 * logged once when it starts and once when it ends (one line per state change, not per try).
 * `stop` waits for the run in progress, so a delivery is never cut off by a graceful shutdown.
 */
export function startBackgroundLoop(name: string, task: () => Promise<number>, options: { idleMs: number; log: Logger }): () => Promise<void> {
  let stopped = false;
  let failing = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const schedule = (delay: number) => {
    if (stopped) return;
    timer = setTimeout(() => { running = tick(); }, delay);
    timer.unref();
  };

  async function tick(): Promise<void> {
    try {
      const done = await task();
      if (failing) options.log.info(`${name} recovered`);
      failing = false;
      schedule(done > 0 ? 0 : options.idleMs);
    } catch (error) {
      if (!failing) options.log.warn(`${name} failing; retrying every ${options.idleMs} ms`, { error: error instanceof Error ? error.message : String(error) });
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
