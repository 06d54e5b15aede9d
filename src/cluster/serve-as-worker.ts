import cluster from 'node:cluster';

import { AggregatorRegistry, type Registry } from 'prom-client';

import type { Config } from '../config/load-config.js';

/** Whether this process is one of several workers under superviseWorkers. */
export const isWorker = (): boolean => cluster.isWorker;

/** A worker leaves the metrics port to the supervisor, which serves every worker's metrics summed. */
export function workerConfig(config: Config): Config {
  return { ...config, metricsPort: undefined };
}

/** Lets the supervisor collect this worker's registry when the metrics port is scraped. */
export function reportMetricsToSupervisor(registry: Registry): void {
  // Constructing one installs prom-client's listener for the supervisor's requests.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
}
