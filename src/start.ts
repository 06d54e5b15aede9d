import { isWorker, reportMetricsToSupervisor, workerConfig } from './cluster/serve-as-worker.js';
import { superviseWorkers } from './cluster/supervise-workers.js';
import { assertServerConfig, ConfigError, loadConfig, workerCount } from './config/load-config.js';
import { AppError } from './domain/errors.js';
import { startGatehouse } from './gatehouse.js';
import { createLogger } from './logger.js';

/**
 * The server (src/main.ts imports it): load settings, start, stop cleanly on SIGTERM/SIGINT. Exit 2 on bad settings.
 * With GATEHOUSE_WORKERS > 1 this process supervises that many workers, each of which runs this
 * same file and starts a Gatehouse on the shared port.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
    assertServerConfig(config);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`gatehouse: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const log = createLogger(config.logLevel);
  const workers = workerCount(config);
  if (workers > 1 && !isWorker()) {
    const metrics = config.metricsPort === undefined ? undefined : { port: config.metricsPort, host: config.metricsHost };
    process.exit(await superviseWorkers({ count: workers, log, metrics }));
  }
  if (isWorker()) config = workerConfig(config);

  let gatehouse;
  try {
    gatehouse = await startGatehouse(config, log);
  } catch (error) {
    const message = error instanceof AppError && error.expose ? error.message : `${(error as Error).name}: ${(error as Error).message}`;
    process.stderr.write(`gatehouse: cannot start: ${message}\n`);
    process.exit(1);
  }
  if (isWorker()) reportMetricsToSupervisor(gatehouse.metricsRegistry);
  const stop = async (signal: string) => {
    log.info('shutting down', { signal });
    await gatehouse.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

await main();
