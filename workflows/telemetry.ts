// Phases as telemetry, inside the workflow sandbox: each phase is a span (the activities and children
// it starts nest under it), entering one writes a log line, and escalations and the time spent
// waiting for a human become metrics. Workflow code calls enterPhase() where it sets its phase;
// workflows/interceptors.ts does the rest. Deterministic: workflow time only, and the SDK drops
// log lines, metrics and span exports while a run is being replayed.
import { log, metricMeter, workflowInfo } from '@temporalio/workflow';
import { ATTR, METRIC, TRACER_NAME, type RunContext } from '../core/telemetry';
import { Span, type TraceContext } from './tracing';

interface Phase {
  name: string;
  /** Workflow time it was entered, ms since the epoch. */
  since: number;
  span?: Span;
}

// The SDK instantiates workflow modules once per run, so this is the state of one run.
let current: Phase | undefined;
let runSpan: Span | undefined;

const workflowTime = () => new Date().getTime(); // replay-safe inside the sandbox

/** The phase a run is in (undefined before its first setPhase). */
export const currentPhase = (): string | undefined => current?.name;

/** The span of the whole run (RunWorkflow), under which its phases nest. */
export const setRunSpan = (span: Span | undefined): void => { runSpan = span; };
export const currentRunSpan = (): Span | undefined => runSpan;

/** Where activities and children are started from: the current phase's span, else the run's. */
export const currentSpanContext = (): TraceContext | undefined => (current?.span ?? runSpan)?.context;

/** The run's ids for log lines and activity headers; nothing here is free text but the scope. */
export function runContext(): RunContext {
  const info = workflowInfo();
  const memo = info.memo ?? {};
  const parentId = info.parent?.workflowId ?? (typeof memo.parentId === 'string' ? memo.parentId : undefined);
  const scope = typeof memo.scope === 'string' ? memo.scope : undefined;
  const phase = current?.name;
  return { ...(parentId ? { parentId } : {}), ...(scope ? { scope } : {}), ...(phase ? { phase } : {}) };
}

/** A run moves to `phase` (the same name again changes nothing). `done` ends the last phase span. */
export function enterPhase(phase: string): void {
  if (current?.name === phase) return;
  const now = workflowTime();
  leavePhase(now);
  current = { name: phase, since: now };
  if (phase === 'awaiting-human') metricMeter.createCounter(METRIC.escalations, undefined, 'times a run stopped to ask a human').add(1);
  if (phase !== 'done') {
    current.span = new Span(`phase ${phase}`, runSpan?.context, now, TRACER_NAME).setAttributes({ [ATTR.phase]: phase });
  }
  log.info(`phase ${phase}`);
}

/** Close the current phase's span and measure a human wait; called on a phase change and when the run ends. */
export function leavePhase(now = workflowTime()): void {
  if (!current) return;
  if (current.name === 'awaiting-human') {
    metricMeter.createHistogram(METRIC.humanWait, 'float', 's', 'seconds a run waited for a human').record((now - current.since) / 1000);
  }
  current.span?.end(now);
  current.span = undefined;
}
