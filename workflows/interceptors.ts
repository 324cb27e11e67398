// Workflow interceptors of every bundle (worker, production build, replay): the spans Temporal's
// OpenTelemetry interceptors make (RunWorkflow, HandleSignal/Update, ValidateUpdate, StartActivity,
// StartChildWorkflow, SignalWorkflow, ContinueAsNew), made by workflows/tracing.ts without
// OpenTelemetry's SDK in the sandbox; ids on every log line; the run's context on every activity;
// activities and children nested under the current phase's span; one metric per closed run.
// Queries get no span: the UI and the CLI poll them, and a query must not draw on the run's
// random sequence the span ids come from.
import { defaultPayloadConverter, type Headers } from '@temporalio/common';
import {
  ContinueAsNew, isCancellation, log, metricMeter, workflowInfo, type Next, type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor, type WorkflowInterceptors, type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import { SdkFlags, type SdkFlag } from '@temporalio/workflow/lib/flags';
import { getActivator } from '@temporalio/workflow/lib/global-attributes';
import { ATTR, METRIC, RUN_CONTEXT_HEADER, type RunContext } from '../core/telemetry';
import { currentRunSpan, currentSpanContext, leavePhase, runContext, setRunSpan } from './telemetry';
import { TRACE_HEADER, contextFromHeaders, headersWith, instrument, instrumentSync, type Acceptable, type Span } from './tracing';

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
  currentRunSpan()?.setAttributes({ [ATTR.outcome]: closed.outcome, [ATTR.attempts]: closed.attempts });
  log.info(`run ${closed.outcome}`, closed);
}

const isContinueAsNew = (err: unknown) => err instanceof ContinueAsNew;

// What Temporal's interceptors did depended on SDK flags recorded in each run's history (a signal
// traced since 1.11.5, an update since flag 6, an extra turn before 1.13.2); asked the same way here,
// a run recorded with them replays unchanged, and a new run records the flags as theirs did.
const hasFlag = (flag: SdkFlag) => getActivator().hasFlag(flag);
/** Runs recorded before SDK 1.13.2 took one more microtask turn here (awaited only then: an await is a turn). */
const extraTurn = () => !hasFlag(SdkFlags.OpenTelemetryInterceporsAvoidsExtraYields);
const fromHeaders = (headers: Headers) => headers[TRACE_HEADER] !== undefined;

/** Our part of a run: the outcome metric and log line, the last phase closed. */
async function runAndRecord(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
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
}

const inbound: WorkflowInboundCallsInterceptor = {
  async execute(input, next) {
    const parent = contextFromHeaders(input.headers);
    if (extraTurn()) await Promise.resolve();
    return await instrument(`RunWorkflow:${workflowInfo().workflowType}`, parent, fromHeaders(input.headers), (span) => {
      setRunSpan(span);
      return runAndRecord(input, next);
    }, isContinueAsNew);
  },
  async handleSignal(input, next) {
    if (!hasFlag(SdkFlags.OpenTelemetryInterceptorsTracesInboundSignals)) return next(input);
    if (extraTurn()) await Promise.resolve();
    return await instrument(`HandleSignal:${input.signalName}`, contextFromHeaders(input.headers), fromHeaders(input.headers), () => next(input));
  },
  async handleUpdate(input, next) {
    if (!hasFlag(SdkFlags.OpenTelemetryInterceptorsInstrumentsAllMethods)) return next(input);
    return await instrument(`HandleUpdate:${input.name}`, contextFromHeaders(input.headers), fromHeaders(input.headers), (span) => {
      span.setAttributes({ temporalUpdateId: input.updateId });
      return next(input);
    });
  },
  validateUpdate(input, next) {
    if (!hasFlag(SdkFlags.OpenTelemetryInterceptorsInstrumentsAllMethods)) return next(input);
    instrumentSync(`ValidateUpdate:${input.name}`, contextFromHeaders(input.headers), (span) => {
      span.setAttributes({ temporalUpdateId: input.updateId });
      next(input);
    });
  },
};

/** The header's part of the run context: ids only (see RUN_CONTEXT_HEADER). */
function headerContext(): RunContext {
  const { parentId, phase } = runContext();
  return { ...(parentId ? { parentId } : {}), ...(phase ? { phase } : {}) };
}

/** An activity's headers: the StartActivity span's context and the run's ids. */
const activityHeaders = (headers: Headers, span: Span): Headers =>
  ({ ...headersWith(headers, span), [RUN_CONTEXT_HEADER]: defaultPayloadConverter.toPayload(headerContext()) });

/** A call that starts something elsewhere, in a span under the current phase whose context goes along in its headers. */
async function starting<I extends { headers: Headers }, O>(name: string, input: I, next: (input: I) => Promise<O>, headers = headersWith, acceptable?: Acceptable): Promise<O> {
  return await instrument(name, currentSpanContext(), false, async (span) => {
    const withContext = headers(input.headers, span);
    if (extraTurn()) await Promise.resolve();
    return next({ ...input, headers: withContext });
  }, acceptable);
}

const outbound: WorkflowOutboundCallsInterceptor = {
  scheduleActivity: (input, next) => starting(`StartActivity:${input.activityType}`, input, next, activityHeaders),
  scheduleLocalActivity: (input, next) => hasFlag(SdkFlags.OpenTelemetryInterceptorsTracesLocalActivities)
    ? starting(`StartActivity:${input.activityType}`, input, next, activityHeaders) : next(input),
  startChildWorkflowExecution: (input, next) => starting(`StartChildWorkflow:${input.workflowType}`, input, next),
  signalWorkflow: (input, next) => starting(`SignalWorkflow:${input.signalName}`, input, next),
  continueAsNew: (input, next) => starting(`ContinueAsNew:${input.options.workflowType}`, input, next, headersWith, isContinueAsNew),
  getLogAttributes: (input, next) => {
    const span = currentSpanContext();
    return next({ ...runContext(), ...(span ? { trace_id: span.traceId, span_id: span.spanId } : {}), ...input });
  },
};

export const interceptors = (): WorkflowInterceptors => ({ inbound: [inbound], outbound: [outbound] });
