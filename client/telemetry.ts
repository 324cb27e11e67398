// Tracing on the client side: Temporal's OpenTelemetry client interceptor puts the caller's trace
// context on every start, signal, update and query, so a feature's trace begins where the CLI (or
// any program using ImplementorClient) started it. Without a tracer provider it costs nothing.
import type { WorkflowClientInterceptor } from '@temporalio/client';
// The client module alone: the package's index also loads its worker plugin.
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client/index.js';
import type { Config } from '../worker/config';

export const clientInterceptors = (): { workflow: WorkflowClientInterceptor[] } => ({ workflow: [new OpenTelemetryWorkflowClientInterceptor()] });

/** Run a CLI command with tracing when OTLP is configured, and flush its spans before the process exits. */
export async function withTracing<T>(config: Config, fn: () => Promise<T>): Promise<T> {
  // The OpenTelemetry SDK is loaded only when there is somewhere to send spans.
  const wanted = config.OTEL_EXPORTER_OTLP_ENDPOINT ?? config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const tracing = wanted ? (await import('../worker/telemetry/tracing')).startTracing(config) : undefined;
  try {
    return await fn();
  } finally {
    await tracing?.shutdown();
  }
}
