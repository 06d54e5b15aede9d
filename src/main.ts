#!/usr/bin/env node
import { assertServerConfig, ConfigError, loadConfig } from './config/load-config.js';
import { AppError } from './domain/errors.js';
import { startGatehouse } from './gatehouse.js';
import { createLogger } from './logger.js';

/** `npm start`: load settings, start, stop cleanly on SIGTERM/SIGINT. Exit 2 on bad settings. */
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
  let gatehouse;
  try {
    gatehouse = await startGatehouse(config, log);
  } catch (error) {
    const message = error instanceof AppError && error.expose ? error.message : `${(error as Error).name}: ${(error as Error).message}`;
    process.stderr.write(`gatehouse: cannot start: ${message}\n`);
    process.exit(1);
  }
  const stop = async (signal: string) => {
    log.info('shutting down', { signal });
    await gatehouse.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

await main();
