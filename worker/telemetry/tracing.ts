// OpenTelemetry tracing of a process (worker or CLI): OTLP over HTTP (protobuf) to
// OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT), batched, every span through SafeSpanProcessor.
// Off when neither is set, or with OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none. The
// exporter itself reads OTEL_EXPORTER_OTLP_HEADERS / _TIMEOUT, the provider OTEL_TRACES_SAMPLER.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { Config } from '../config';
import { SafeSpanProcessor } from './safe-spans';

export type TracingConfig = Pick<Config,
  'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' | 'OTEL_SDK_DISABLED' | 'OTEL_TRACES_EXPORTER' | 'OTEL_SERVICE_NAME' | 'OTEL_RESOURCE_ATTRIBUTES'>;

export interface Tracing {
  /** Where spans go. */
  url: string;
  resource: Resource;
  /** The processor every span ends in (the workflow span sink feeds it too). */
  processor: SpanProcessor;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

let active: Tracing | undefined;

/** The traces URL the configuration names, or undefined when tracing is off. */
export function tracesUrl(config: TracingConfig): string | undefined {
  if (config.OTEL_SDK_DISABLED === 'true' || config.OTEL_TRACES_EXPORTER === 'none') return undefined;
  if (config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  // As the OTLP specification says: the signal's path is appended to the base endpoint.
  if (config.OTEL_EXPORTER_OTLP_ENDPOINT) return `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '')}/v1/traces`;
  return undefined;
}

function version(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const up of ['../../package.json', '../package.json']) {
    try {
      return (JSON.parse(readFileSync(path.resolve(here, up), 'utf8')) as { version: string }).version;
    } catch {
      // from dist/ the package file is one level up; from the sources, two
    }
  }
  return 'unknown';
}

function resourceFor(config: TracingConfig): Resource {
  const extra = Object.fromEntries((config.OTEL_RESOURCE_ATTRIBUTES ?? '').split(',').filter(Boolean).map((kv) => {
    const [k, ...v] = kv.split('=');
    return [decodeURIComponent((k ?? '').trim()), decodeURIComponent(v.join('=').trim())];
  }));
  return Resource.default().merge(new Resource({
    ...extra,
    'service.name': config.OTEL_SERVICE_NAME ?? 'infra-implementor',
    'service.version': version(),
  }));
}

/**
 * Start exporting, once per process (OpenTelemetry's provider is global). Returns undefined when the
 * configuration turns tracing off; a second call returns the first one's tracing.
 */
export function startTracing(config: TracingConfig): Tracing | undefined {
  if (active) return active;
  const url = tracesUrl(config);
  if (!url) return undefined;
  const resource = resourceFor(config);
  const processor = new SafeSpanProcessor(new BatchSpanProcessor(new OTLPTraceExporter({ url })));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  provider.register();
  active = {
    url, resource, processor,
    forceFlush: () => provider.forceFlush(),
    shutdown: async () => {
      active = undefined;
      await provider.shutdown();
    },
  };
  return active;
}

/** The tracing started in this process, if any. */
export const currentTracing = (): Tracing | undefined => active;
