// A run's spans, made inside the workflow sandbox without OpenTelemetry's SDK. The SDK's workflow
// interceptors load @opentelemetry/sdk-trace-base, core, resources and semantic-conventions into
// every cached run (the sandbox instantiates a bundle's modules once per run), plus a tracer
// provider and an AsyncLocalStorage context manager per run: 307 KB of heap a cached run, against
// 48 KB for all of workflows/interceptors.ts with these spans (`npm run bench:memory`). A span here is a small object, exported when it ends through the same
// sink the SDK's interceptors use (`exporter`, OpenTelemetrySinks), so the worker side
// (makeWorkflowExporter, worker/telemetry/safe-spans.ts) and the trace are unchanged: the same span
// names, W3C `traceparent` in the same `_tracer-data` header, the parent's sampling decision kept.
// There is no context manager: a span's parent is given, which in a run is its phase's or the run's
// span (workflows/telemetry.ts). Deterministic: ids from the run's seeded random source (uuid4), times
// from workflow time; the SDK drops sink calls while a run is replayed.
import type { SerializableSpan, OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry/lib/workflow/definitions';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { ApplicationFailure, proxySinks, uuid4 } from '@temporalio/workflow';

/** The header Temporal's OpenTelemetry interceptors carry a span's context in (`TRACE_HEADER`). */
export const TRACE_HEADER = '_tracer-data';
/** The instrumentation name of Temporal's workflow interceptors, kept on the spans they made (ours: TRACER_NAME). */
export const TEMPORAL_LIBRARY = '@temporalio/interceptor-workflow';

export interface TraceContext {
  traceId: string;
  spanId: string;
  /** W3C trace flags; bit 0 is "sampled". */
  traceFlags: number;
  traceState?: string;
}

// OpenTelemetry's SpanStatusCode and SpanKind.INTERNAL, as numbers: the api package stays out of the sandbox.
const UNSET = 0;
const OK = 1;
const ERROR = 2;
const INTERNAL = 0;

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** A random id of `hexDigits` (≤ 32) from the run's seeded random source (uuid4: replay-safe). */
function randomId(hexDigits: number): string {
  let id = '';
  while (!/[^0]/.test(id)) id = uuid4().replace(/-/g, '').slice(0, hexDigits); // an all-zero id is invalid
  return id;
}

const hrTime = (ms: number): [number, number] => [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];
const workflowTime = () => Date.now(); // replay-safe inside the sandbox

/** The span context a caller put in the headers, if it is a valid W3C traceparent. */
export function contextFromHeaders(headers: Record<string, Payload | undefined>): TraceContext | undefined {
  const payload = headers[TRACE_HEADER];
  if (!payload) return undefined;
  try {
    const carrier = defaultPayloadConverter.fromPayload(payload) as { traceparent?: unknown; tracestate?: unknown };
    const m = typeof carrier?.traceparent === 'string' ? TRACEPARENT.exec(carrier.traceparent) : null;
    if (!m) return undefined;
    return {
      traceId: m[1]!, spanId: m[2]!, traceFlags: parseInt(m[3]!, 16),
      ...(typeof carrier.tracestate === 'string' ? { traceState: carrier.tracestate } : {}),
    };
  } catch {
    return undefined; // a header from another client: not ours to fail on
  }
}

/** `headers` with `span`'s context in TRACE_HEADER, as OpenTelemetry's W3C propagator writes it. */
export function headersWith(headers: Record<string, Payload>, span: Span): Record<string, Payload> {
  const { traceId, spanId, traceFlags, traceState } = span.context;
  const flags = (traceFlags & 0xff).toString(16).padStart(2, '0');
  const carrier = { traceparent: `00-${traceId}-${spanId}-${flags}`, ...(traceState ? { tracestate: traceState } : {}) };
  return { ...headers, [TRACE_HEADER]: defaultPayloadConverter.toPayload(carrier) };
}

export class Span {
  readonly context: TraceContext;
  private readonly attributes: Record<string, string | number | boolean> = {};
  private status: { code: number; message?: string } = { code: UNSET };
  private exceptionType: string | undefined;
  private ended = false;

  constructor(readonly name: string, private readonly parent?: TraceContext, private readonly start = workflowTime(), private readonly library = TEMPORAL_LIBRARY) {
    this.context = {
      traceId: parent?.traceId ?? randomId(32), spanId: randomId(16),
      traceFlags: parent ? parent.traceFlags : 1, ...(parent?.traceState ? { traceState: parent.traceState } : {}),
    };
  }

  setAttributes(attributes: Record<string, string | number | boolean | undefined>): this {
    for (const [k, v] of Object.entries(attributes)) if (v !== undefined) this.attributes[k] = v;
    return this;
  }

  ok(): void {
    this.status = { code: OK };
  }

  /** As Temporal's interceptors record a failure: ERROR (UNSET for a benign ApplicationFailure) and an exception event, with the error's type. */
  failed(err: unknown): void {
    const benign = err instanceof ApplicationFailure && err.category === 'BENIGN';
    // The type only: a message can quote a file or a model reply (worker/telemetry/safe-spans.ts).
    this.exceptionType = (err as Error | undefined)?.name ?? typeof err;
    this.status = { code: benign ? UNSET : ERROR, message: this.exceptionType };
  }

  /** End the span at workflow time `at` and export it (once; a span of an unsampled trace is not exported). */
  end(at = workflowTime()): void {
    if (this.ended) return;
    this.ended = true;
    if ((this.context.traceFlags & 1) === 0) return;
    proxySinks<OpenTelemetrySinks>().exporter.export([this.serializable(at)]);
  }

  private serializable(at: number): SerializableSpan {
    return {
      name: this.name,
      kind: INTERNAL,
      spanContext: { ...this.context, isRemote: false },
      ...(this.parent ? { parentSpanId: this.parent.spanId } : {}),
      startTime: hrTime(this.start),
      endTime: hrTime(at),
      duration: hrTime(Math.max(0, at - this.start)),
      status: this.status,
      attributes: this.attributes,
      links: [],
      events: this.exceptionType === undefined ? [] : [{ name: 'exception', time: hrTime(at), attributes: { 'exception.type': this.exceptionType } }],
      ended: true,
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
      instrumentationLibrary: { name: this.library },
    };
  }
}

// How a span wraps a call. The order in which a workflow's commands are emitted can depend on how
// many microtask turns a handler's or an activity's promise takes to settle (an update completed
// before or after the timer its wait cancels), and the runs recorded with Temporal's OpenTelemetry
// interceptors settled through their `instrument` and `wrapWithSpan`. So these keep exactly their
// shape: the same async functions, nested the same way, with or without a context from the
// headers. Replay of those histories (test/replay.test.ts) fails if this shape changes.

/** Errors that end the span as OK (a continue-as-new is how a run goes on, not a failure). */
export type Acceptable = (err: unknown) => boolean;

function settle(span: Span, err: unknown, acceptable?: Acceptable): void {
  if (acceptable?.(err)) span.ok();
  else span.failed(err);
}

async function wrapWithSpan<T>(span: Span, fn: (span: Span) => Promise<T>, acceptable?: Acceptable): Promise<T> {
  try {
    const ret = await fn(span);
    span.ok();
    return ret;
  } catch (err) {
    settle(span, err, acceptable);
    throw err;
  } finally {
    span.end();
  }
}

/**
 * Run `fn` in a new span `name` under `parent` (a span of this run, or the caller's context from
 * the headers when `fromHeaders`), ending it with `fn`'s outcome.
 */
export async function instrument<T>(name: string, parent: TraceContext | undefined, fromHeaders: boolean, fn: (span: Span) => Promise<T>, acceptable?: Acceptable): Promise<T> {
  const span = new Span(name, parent);
  if (fromHeaders) return await (async () => await (async () => await wrapWithSpan(span, fn, acceptable))())();
  return await (async () => await wrapWithSpan(span, fn, acceptable))();
}

/** The same for a synchronous `fn` (an update's validator). */
export function instrumentSync<T>(name: string, parent: TraceContext | undefined, fn: (span: Span) => T): T {
  const span = new Span(name, parent);
  try {
    const ret = fn(span);
    span.ok();
    return ret;
  } catch (err) {
    settle(span, err);
    throw err;
  } finally {
    span.end();
  }
}
