// The SDK's process-wide runtime, installed once: our structured logger for the SDK's, Core's and our
// own lines, and (when a port is given) the Prometheus endpoint where the SDK's metrics and ours are
// scraped. Our instrumentation (runtime/telemetry.ts) records into the runtime's meter.
import { Runtime, type LogLevel } from '@temporalio/worker';
import { HISTOGRAM_BUCKETS } from '../core/telemetry';
import { configureInstrumentation } from '../runtime/telemetry';
import { StructuredLogger, type LogFormat } from './telemetry/logger';

export interface RuntimeSettings {
  level?: LogLevel;
  /** Default: text on a terminal, JSON otherwise. */
  format?: LogFormat;
  /** Serve `/metrics` on this port (INFRA_IMPLEMENTOR_METRICS_PORT); no endpoint without it. */
  metricsPort?: number;
  /** Default 0.0.0.0 (a pod's scraper comes from outside); tests use 127.0.0.1. */
  metricsHost?: string;
  /** Where log lines go (default: stderr). */
  write?: (line: string) => void;
}

let installed = false;

export function installRuntime(settings: LogLevel | RuntimeSettings = 'WARN'): void {
  if (installed) return;
  const s: RuntimeSettings = typeof settings === 'string' ? { level: settings } : settings;
  Runtime.install({
    logger: new StructuredLogger({
      level: s.level ?? 'INFO',
      ...(s.format ? { format: s.format } : {}),
      ...(s.write ? { write: s.write } : {}),
    }),
    ...(s.metricsPort ? {
      telemetryOptions: {
        metrics: { prometheus: { bindAddress: `${s.metricsHost ?? '0.0.0.0'}:${s.metricsPort}`, histogramBucketOverrides: HISTOGRAM_BUCKETS } },
      },
    } : {}),
  });
  configureInstrumentation({ meter: Runtime.instance().metricMeter });
  installed = true;
}
