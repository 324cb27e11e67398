// What a worker registers for telemetry: Temporal's OpenTelemetry activity interceptors, ours (the
// run's ids from the workflow's header onto the activity's log lines and span), and the sink that
// carries workflow spans out of the sandbox. The workflow side is workflows/interceptors.ts, bundled
// into every workflow bundle (worker/worker.ts: workflowBundleOptions).
import * as otel from '@opentelemetry/api';
import { defaultPayloadConverter } from '@temporalio/common';
import {
  OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor, type OpenTelemetrySinks,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import { ATTR, RUN_CONTEXT_HEADER, type RunContext } from '../../core/telemetry';
import { discardingSpanSink, workflowSpanSink } from './safe-spans';
import { currentTracing } from './tracing';

function runContextOf(headers: Record<string, unknown>): RunContext {
  const payload = headers[RUN_CONTEXT_HEADER];
  if (!payload) return {};
  try {
    const v = defaultPayloadConverter.fromPayload(payload as Parameters<typeof defaultPayloadConverter.fromPayload>[0]) as RunContext;
    return Object.fromEntries(Object.entries(v ?? {}).filter(([k, x]) => (k === 'parentId' || k === 'phase') && typeof x === 'string')) as RunContext;
  } catch {
    return {}; // a header from another client: not ours to fail on
  }
}

const runContextInterceptors: ActivityInterceptorsFactory = () => {
  let run: RunContext = {};
  return {
    inbound: {
      execute(input, next) {
        run = runContextOf(input.headers);
        otel.trace.getActiveSpan()?.setAttributes({
          ...(run.phase ? { [ATTR.phase]: run.phase } : {}),
          ...(run.parentId ? { [ATTR.parentId]: run.parentId } : {}),
        });
        return next(input);
      },
    },
    outbound: {
      getLogAttributes: (input, next) => next({ ...run, ...input }),
    },
  };
};

/** Activity interceptors, outermost first: OpenTelemetry's RunActivity span, then ours inside it. */
export const activityTelemetry: ActivityInterceptorsFactory[] = [
  (ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) }),
  runContextInterceptors,
];

/** The workflow span sink: to the exporter when tracing runs in this process, else dropped. */
export function telemetrySinks(): InjectedSinks<OpenTelemetrySinks> {
  const tracing = currentTracing();
  return { exporter: tracing ? workflowSpanSink(tracing.processor, tracing.resource) : discardingSpanSink };
}
