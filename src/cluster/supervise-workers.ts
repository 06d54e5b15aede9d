import cluster, { type Worker } from 'node:cluster';
import type { Server } from 'node:http';

import { AggregatorRegistry, Registry } from 'prom-client';

import type { Logger } from '../logger.js';
import { startMetricsServer } from '../metrics/metrics-routes.js';

export interface SuperviseOptions {
  count: number;
  log: Logger;
  /** Serve the workers' metrics, summed, on this port (the workers do not open it). */
  metrics?: { port: number; host: string };
  /** First restart delay after a crash; doubled for each crash in a row, up to maxRestartDelayMs. */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
  /** A worker that ran this long before crashing starts the delays afresh. */
  stableAfterMs?: number;
  /** After SIGTERM, how long workers get to finish before they are killed. */
  shutdownMs?: number;
}

interface Slot {
  worker?: Worker;
  startedAt: number;
  crashesInARow: number;
  restart?: NodeJS.Timeout;
}

/**
 * The primary of `GATEHOUSE_WORKERS` > 1: forks the workers (each runs this same entry point and
 * starts a full Gatehouse on the shared port), restarts a worker that dies, and on SIGTERM or
 * SIGINT lets every worker finish its requests and exits 0.
 *
 * Workers start one after another: the first runs migrations, creates a development key and
 * applies the import alone, so no two race on them. A worker that fails during that first start
 * ends the whole thing (exit 1), as a single process would: a configuration fault must not turn
 * into a restart loop. A worker that crashes later is restarted after a delay that doubles with
 * each crash in a row (a crash loop does not spin).
 *
 * Resolves with the exit code.
 */
export function superviseWorkers(options: SuperviseOptions): Promise<number> {
  const { count, log } = options;
  const restartDelayMs = options.restartDelayMs ?? 500;
  const maxRestartDelayMs = options.maxRestartDelayMs ?? 30_000;
  const stableAfterMs = options.stableAfterMs ?? 30_000;
  const shutdownMs = options.shutdownMs ?? 30_000;

  const slots: Slot[] = Array.from({ length: count }, () => ({ startedAt: 0, crashesInARow: 0 }));
  let allStarted = false;
  let stopping = false;
  let metricsServer: Server | undefined;
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => { finish = resolve; });

  const fork = (index: number): Promise<void> => new Promise((resolve) => {
    const slot = slots[index]!;
    const worker = cluster.fork();
    slot.worker = worker;
    slot.startedAt = Date.now();
    worker.once('listening', () => {
      log.info('worker listening', { worker: index + 1, pid: worker.process.pid });
      resolve();
    });
    worker.once('exit', (code, signal) => {
      resolve();
      onExit(index, worker, code, signal);
    });
  });

  const onExit = (index: number, worker: Worker, code: number | null, signal: string | null) => {
    const slot = slots[index]!;
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    if (stopping) {
      if (slots.every((s) => !s.worker)) void close(0);
      return;
    }
    if (!allStarted) {
      log.error('a worker failed to start; stopping', { worker: index + 1, pid: worker.process.pid, code, signal });
      void shutdown(1);
      return;
    }
    slot.crashesInARow = Date.now() - slot.startedAt >= stableAfterMs ? 1 : slot.crashesInARow + 1;
    const delay = Math.min(restartDelayMs * 2 ** (slot.crashesInARow - 1), maxRestartDelayMs);
    log.warn('worker exited; restarting it', { worker: index + 1, pid: worker.process.pid, code, signal, restart_in_ms: delay });
    slot.restart = setTimeout(() => {
      slot.restart = undefined;
      if (!stopping) void fork(index);
    }, delay);
  };

  const close = async (code: number) => {
    if (metricsServer) await new Promise<void>((resolve) => { metricsServer!.close(() => resolve()); metricsServer!.closeAllConnections(); });
    log.info('all workers stopped', { code });
    finish(code);
  };

  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const slot of slots) clearTimeout(slot.restart);
    const running = slots.filter((s) => s.worker);
    if (!running.length) return close(code);
    // Each worker closes its listener, finishes its requests and exits 0 on SIGTERM.
    for (const slot of running) slot.worker!.process.kill('SIGTERM');
    const deadline = setTimeout(() => {
      log.error('workers did not stop in time; killing them', { shutdown_ms: shutdownMs });
      for (const slot of slots) slot.worker?.process.kill('SIGKILL');
      code = 1;
    }, shutdownMs);
    deadline.unref();
    const exitCode = await new Promise<number>((resolve) => {
      const check = setInterval(() => {
        if (slots.every((s) => !s.worker)) {
          clearInterval(check);
          resolve(code);
        }
      }, 50);
    });
    clearTimeout(deadline);
    await close(exitCode);
  };

  const onSignal = (signal: string) => {
    log.info('shutting down', { signal, workers: slots.filter((s) => s.worker).length });
    void shutdown(0);
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));

  void (async () => {
    if (options.metrics) {
      const aggregator = new AggregatorRegistry();
      metricsServer = await startMetricsServer({ render: () => aggregator.clusterMetrics(), contentType: Registry.PROMETHEUS_CONTENT_TYPE }, options.metrics.port, options.metrics.host);
      log.info('metrics listening', { port: options.metrics.port, host: options.metrics.host, summed_over_workers: count });
    }
    for (let i = 0; i < count && !stopping; i++) await fork(i);
    if (stopping) return;
    allStarted = true;
    log.info('workers listening', { workers: count });
  })().catch((error: unknown) => {
    log.error('cannot start the workers', { error });
    void shutdown(1);
  });

  return done;
}
