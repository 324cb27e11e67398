// What leaves the process in a span is names, ids, numbers and error types, never free text: a
// failure's message can quote a file, a model reply or a tool's output, so the Temporal
// interceptors' error messages and exception events are cut down to the error's type here, and the
// workflow info the SDK's sink copies onto every workflow span (memo, search attributes, last
// result, …) is reduced to ids. The messages stay where they belong: in Temporal's history.
import type { Context } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, Span, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace-base';
import { makeWorkflowExporter, type OpenTelemetryWorkflowExporter } from '@temporalio/interceptors-opentelemetry';
import type { InjectedSink } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';

/** Attributes that hold conversation content by the GenAI conventions, whoever sets them. */
const CONTENT_ATTRIBUTE = /^gen_ai\.(system_instructions|input_messages|output_messages|prompt|completion|tool\.call\.(arguments|result))/;

const isPrimitive = (v: unknown) => ['string', 'number', 'boolean'].includes(typeof v);
const isAttributeValue = (v: unknown) => isPrimitive(v) || (Array.isArray(v) && v.every((x) => x == null || isPrimitive(x)));

/** An exception event keeps its type (and nothing the message could carry, the stack's first line included). */
function safeEvent(e: TimedEvent): TimedEvent {
  if (e.name !== 'exception') return { ...e, attributes: {} };
  const type = e.attributes?.['exception.type'];
  return { ...e, attributes: type !== undefined ? { 'exception.type': String(type) } : {} };
}

function exceptionType(span: ReadableSpan): string | undefined {
  const t = span.events.find((e) => e.name === 'exception')?.attributes?.['exception.type'];
  return t === undefined ? undefined : String(t);
}

/** The span as exported: attributes that are values (not objects), status and events without free text. */
export function safeSpan(span: ReadableSpan): ReadableSpan {
  const attributes = Object.fromEntries(Object.entries(span.attributes).filter(([k, v]) => isAttributeValue(v) && !CONTENT_ATTRIBUTE.test(k)));
  const status = span.status.message === undefined ? span.status : { ...span.status, message: String(attributes['error.type'] ?? exceptionType(span) ?? 'error') };
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => span.spanContext(),
    ...(span.parentSpanId !== undefined ? { parentSpanId: span.parentSpanId } : {}),
    startTime: span.startTime,
    endTime: span.endTime,
    status,
    attributes,
    links: span.links,
    events: span.events.map(safeEvent),
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationLibrary: span.instrumentationLibrary,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

/** Wraps the processor that exports: every span passes through safeSpan() on its way out. */
export class SafeSpanProcessor implements SpanProcessor {
  constructor(private readonly inner: SpanProcessor) {}
  onStart(span: Span, parent: Context): void {
    this.inner.onStart(span, parent);
  }
  onEnd(span: ReadableSpan): void {
    this.inner.onEnd(safeSpan(span));
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/** The ids of a workflow run, the only part of its info a workflow span carries. */
function runIds(info: WorkflowInfo): Record<string, string | number> {
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    workflowType: info.workflowType,
    taskQueue: info.taskQueue,
    namespace: info.namespace,
    attempt: info.attempt,
    ...(info.parent ? { parentWorkflowId: info.parent.workflowId } : {}),
  };
}

/** Temporal's workflow span sink (the SDK copies it out of the sandbox), given only the run's ids. */
export function workflowSpanSink(processor: SpanProcessor, resource: Resource): InjectedSink<OpenTelemetryWorkflowExporter> {
  const sink = makeWorkflowExporter(processor, resource);
  return { export: { ...sink.export, fn: (info, spans) => sink.export.fn(runIds(info) as unknown as WorkflowInfo, spans) } };
}

/** The same sink when tracing is off: the workflow interceptors are in every bundle and need one. */
export const discardingSpanSink: InjectedSink<OpenTelemetryWorkflowExporter> = { export: { fn: () => undefined } };
