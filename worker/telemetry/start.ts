// Telemetry of a long-running command (worker, dev): the runtime (log lines, Prometheus endpoint),
// tracing when OTLP is configured, and the LLM prices. What is on is said once, at start.
import { Runtime, type LogLevel } from '@temporalio/worker';
import { configureInstrumentation } from '../../runtime/telemetry';
import type { Config } from '../config';
import { installRuntime } from '../runtime';
import { startTracing, type Tracing } from './tracing';

export interface Telemetry {
  tracing?: Tracing;
  /** Flush and stop the span exporter. */
  stop(): Promise<void>;
}

export function startTelemetry(config: Config, defaults: { level: LogLevel } = { level: 'INFO' }): Telemetry {
  installRuntime({
    level: config.INFRA_IMPLEMENTOR_LOG_LEVEL ?? defaults.level,
    ...(config.INFRA_IMPLEMENTOR_LOG_FORMAT ? { format: config.INFRA_IMPLEMENTOR_LOG_FORMAT } : {}),
    ...(config.INFRA_IMPLEMENTOR_METRICS_PORT ? { metricsPort: config.INFRA_IMPLEMENTOR_METRICS_PORT } : {}),
  });
  if (config.INFRA_IMPLEMENTOR_LLM_PRICES) configureInstrumentation({ prices: config.INFRA_IMPLEMENTOR_LLM_PRICES });
  const tracing = startTracing(config);
  const log = Runtime.instance().logger;
  if (config.INFRA_IMPLEMENTOR_METRICS_PORT) log.info(`metrics at http://0.0.0.0:${config.INFRA_IMPLEMENTOR_METRICS_PORT}/metrics`);
  // The receiver's address without any credentials a URL may carry.
  if (tracing) log.info(`traces to ${new URL(tracing.url).origin}${new URL(tracing.url).pathname}`);
  return { ...(tracing ? { tracing } : {}), stop: async () => { await tracing?.shutdown(); } };
}
