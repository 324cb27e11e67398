// Workflow interceptors of every bundle (worker, production build, replay): Temporal's OpenTelemetry
// interceptors, plus ids on every log line, the run's context on every activity, activities and
// children nested under the current phase's span, and one metric per closed run. One module, so the
// order is explicit: our outbound interceptor runs before OpenTelemetry's (its StartActivity and
// StartChildWorkflow spans then start inside the phase span), our inbound one inside its RunWorkflow
// span (so the run's outcome lands on that span).
import * as otel from '@opentelemetry/api';
import { defaultPayloadConverter } from '@temporalio/common';
import {
  OpenTelemetryInboundInterceptor, OpenTelemetryInternalsInterceptor, OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import {
  isCancellation, log, metricMeter, type WorkflowInboundCallsInterceptor, type WorkflowInterceptors, type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import { ATTR, METRIC, RUN_CONTEXT_HEADER, type RunContext } from '../core/telemetry';
import { currentPhaseSpan, leavePhase, runContext } from './telemetry';

/** Run `fn` with the current phase's span as the active one (unchanged before the first phase). */
function inPhase<T>(fn: () => T): T {
  const span = currentPhaseSpan();
  return span ? otel.context.with(otel.trace.setSpan(otel.context.active(), span), fn) : fn();
}

/** What a closed run reports: our workflows return a report with `status` (and `attempts` for a scope). */
function outcomeOf(result: unknown): { outcome: string; attempts?: number } {
  const r = (result ?? {}) as { status?: unknown; attempts?: unknown };
  return {
    outcome: typeof r.status === 'string' ? r.status : 'completed',
    ...(typeof r.attempts === 'number' ? { attempts: r.attempts } : {}),
  };
}

function recordClose(closed: { outcome: string; attempts?: number }): void {
  metricMeter.createCounter(METRIC.runs, undefined, 'closed runs by outcome').add(1, { outcome: closed.outcome });
  if (closed.attempts !== undefined && closed.attempts > 0) {
    metricMeter.createHistogram(METRIC.attempts, 'int', undefined, 'validate-and-fix attempts of a closed run').record(closed.attempts);
  }
  otel.trace.getActiveSpan()?.setAttributes({
    [ATTR.outcome]: closed.outcome,
    ...(closed.attempts !== undefined ? { [ATTR.attempts]: closed.attempts } : {}),
  });
  log.info(`run ${closed.outcome}`, closed);
}

const inbound: WorkflowInboundCallsInterceptor = {
  async execute(input, next) {
    try {
      const result = await next(input);
      recordClose(outcomeOf(result));
      return result;
    } catch (err) {
      recordClose({ outcome: isCancellation(err) ? 'cancelled' : 'error' });
      throw err;
    } finally {
      leavePhase();
    }
  },
};

/** The header's part of the run context: ids only (see RUN_CONTEXT_HEADER). */
function headerContext(): RunContext {
  const { parentId, phase } = runContext();
  return { ...(parentId ? { parentId } : {}), ...(phase ? { phase } : {}) };
}

const outbound: WorkflowOutboundCallsInterceptor = {
  scheduleActivity: (input, next) => inPhase(() => next({
    ...input,
    headers: { ...input.headers, [RUN_CONTEXT_HEADER]: defaultPayloadConverter.toPayload(headerContext()) },
  })),
  startChildWorkflowExecution: (input, next) => inPhase(() => next(input)),
  getLogAttributes: (input, next) => next({ ...runContext(), ...input }),
};

// The first interceptor of a list is the outermost.
export const interceptors = (): WorkflowInterceptors => ({
  inbound: [new OpenTelemetryInboundInterceptor(), inbound],
  outbound: [outbound, new OpenTelemetryOutboundInterceptor()],
  internals: [new OpenTelemetryInternalsInterceptor()],
});
