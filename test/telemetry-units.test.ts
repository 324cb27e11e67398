// The parts of telemetry that need no server: what a span keeps on its way out, what a log line
// looks like and drops, what an LLM call costs, and the configuration of all of it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ApplicationFailure } from '@temporalio/common';
import { BUILT_IN_PRICES, costUsd } from '../core/pricing';
import { ConfigError, loadConfig } from '../worker/config';
import { StructuredLogger } from '../worker/telemetry/logger';
import { SafeSpanProcessor, workflowSpanSink } from '../worker/telemetry/safe-spans';
import { tracesUrl } from '../worker/telemetry/tracing';

const SECRET = 'kind: Secret\nstringData:\n  password: hunter2';

/** A processor that keeps what reaches it, behind SafeSpanProcessor, on a real tracer provider. */
function capture(): { ended: ReadableSpan[]; provider: BasicTracerProvider } {
  const ended: ReadableSpan[] = [];
  const sink: SpanProcessor = { onStart: () => undefined, onEnd: (s) => ended.push(s), forceFlush: async () => undefined, shutdown: async () => undefined };
  return { ended, provider: new BasicTracerProvider({ spanProcessors: [new SafeSpanProcessor(sink)] }) };
}

describe('spans on their way out', () => {
  it('a failure keeps its type and loses its message, in the status, the exception event and the stack', () => {
    const { ended, provider } = capture();
    const span = provider.getTracer('t').startSpan('RunActivity:proposePhase');
    const err = new Error(`could not parse ${SECRET}`);
    span.recordException(err);
    span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
    span.end();
    const [out] = ended;
    assert.deepEqual(out?.status, { code: SpanStatusCode.ERROR, message: 'Error' });
    assert.deepEqual(out?.events.map((e) => [e.name, e.attributes]), [['exception', { 'exception.type': 'Error' }]]);
    assert.ok(!JSON.stringify(out?.attributes).includes('hunter2'));
  });

  it('conversation content and object values are dropped, numbers and names kept', () => {
    const { ended, provider } = capture();
    const span = provider.getTracer('t').startSpan('anthropic.messages.create', { kind: SpanKind.CLIENT, attributes: {
      'gen_ai.request.model': 'claude-x', 'gen_ai.usage.output_tokens': 12,
      'gen_ai.input_messages': JSON.stringify([{ role: 'user', parts: [{ content: SECRET }] }]),
      'gen_ai.system_instructions': 'You are …', 'gen_ai.output_messages': '[…]',
    } });
    span.end();
    assert.deepEqual(ended[0]?.attributes, { 'gen_ai.request.model': 'claude-x', 'gen_ai.usage.output_tokens': 12 });
  });

  it("the workflow span sink gives a span the run's ids, not its memo, search attributes or last failure", () => {
    const seen: ReadableSpan[] = [];
    const sink = workflowSpanSink({ onStart: () => undefined, onEnd: (s) => seen.push(s), forceFlush: async () => undefined, shutdown: async () => undefined }, new Resource({}));
    const info = {
      workflowId: 'w', runId: 'r', workflowType: 'infrastructureImplementor', taskQueue: 'q', namespace: 'default', attempt: 1,
      parent: { workflowId: 'p', runId: 'pr', namespace: 'default' }, memo: { feature: SECRET }, searchAttributes: { X: ['y'] },
      lastFailure: ApplicationFailure.create({ message: SECRET }),
    };
    const span = {
      name: 'RunWorkflow:x', kind: SpanKind.INTERNAL, spanContext: { traceId: '0'.repeat(31) + '1', spanId: '0'.repeat(15) + '1', traceFlags: 1 },
      startTime: [0, 0], endTime: [1, 0], status: { code: 0 }, attributes: {}, links: [], events: [], duration: [1, 0], ended: true,
      droppedAttributesCount: 0, droppedLinksCount: 0, droppedEventsCount: 0, instrumentationLibrary: { name: 'x' },
    };
    (sink.export.fn as (i: unknown, s: unknown[]) => void)(info, [span]);
    assert.deepEqual(seen[0]?.attributes, { workflowId: 'w', runId: 'r', workflowType: 'infrastructureImplementor', taskQueue: 'q', namespace: 'default', attempt: 1, parentWorkflowId: 'p' });
  });
});

describe('log lines', () => {
  const at = () => new Date('2026-12-01T10:00:00.000Z');

  it('JSON: one object per line, the run ids first, errors reduced to their type, objects dropped', () => {
    const lines: string[] = [];
    const log = new StructuredLogger({ format: 'json', write: (l) => lines.push(l), now: at });
    log.warn('Activity failed', { scope: 'orders', workflowId: 'w1', phase: 'validate', parentId: 'f1', attempt: 2, error: ApplicationFailure.create({ message: SECRET, type: 'ScaffoldError' }), input: { content: SECRET } });
    assert.equal(lines.length, 1);
    assert.ok(lines[0]?.endsWith('\n'));
    assert.equal(lines[0]?.trim(), JSON.stringify({ time: '2026-12-01T10:00:00.000Z', level: 'warn', msg: 'Activity failed', workflowId: 'w1', parentId: 'f1', scope: 'orders', phase: 'validate', attempt: 2, errorType: 'ScaffoldError' }));
  });

  it('text on a terminal: an [infra-implementor] line with key=value pairs, quoted when they hold spaces', () => {
    const lines: string[] = [];
    new StructuredLogger({ format: 'text', write: (l) => lines.push(l), now: at }).info('phase validate', { workflowId: 'w1', scope: 'orders service', phase: 'validate' });
    assert.deepEqual(lines, ['[infra-implementor] 10:00:00 INFO  phase validate  workflowId=w1 scope="orders service" phase=validate\n']);
  });

  it('below the level nothing is written; the host worker\'s "No workflows registered" warning becomes a debug line that says why', () => {
    const lines: string[] = [];
    const log = new StructuredLogger({ level: 'INFO', format: 'json', write: (l) => lines.push(l) });
    log.debug('quiet');
    log.warn('No workflows registered, not polling for workflow tasks', { sdkComponent: 'worker', taskQueue: 'q@host' });
    assert.deepEqual(lines, []);
    const verbose: string[] = [];
    new StructuredLogger({ level: 'DEBUG', format: 'json', write: (l) => verbose.push(l) }).warn('No workflows registered, not polling for workflow tasks', { taskQueue: 'q@host' });
    const line = JSON.parse(verbose[0] ?? '{}') as Record<string, unknown>;
    assert.equal(line.level, 'debug');
    assert.match(String(line.msg), /activities only.*by design/);
  });
});

describe('LLM cost', () => {
  it('dollars from the longest matching price prefix; a model without a price has no cost, not zero', () => {
    const usage = { inputTokens: 1_000_000, outputTokens: 100_000, cacheReadTokens: 0, cacheWriteTokens: 0 };
    assert.equal(costUsd('claude-opus-4-5-20251101', usage, BUILT_IN_PRICES), 5 + 2.5);
    assert.equal(costUsd('claude-opus-4-1', usage, BUILT_IN_PRICES), 15 + 7.5);
    assert.equal(costUsd('claude-unknown-9', usage, BUILT_IN_PRICES), undefined);
  });
});

describe('telemetry configuration', () => {
  const fails = (env: Record<string, string>, message: RegExp) =>
    assert.throws(() => loadConfig(env), (e: Error) => e instanceof ConfigError && message.test(e.message), JSON.stringify(env));

  it('a wrong value stops the program with a message naming the variable', () => {
    fails({ INFRA_IMPLEMENTOR_METRICS_PORT: '99999' }, /^INFRA_IMPLEMENTOR_METRICS_PORT: must be a port number/);
    fails({ INFRA_IMPLEMENTOR_LOG_FORMAT: 'yaml' }, /^INFRA_IMPLEMENTOR_LOG_FORMAT: must be json or text/);
    fails({ INFRA_IMPLEMENTOR_LOG_LEVEL: 'loud' }, /^INFRA_IMPLEMENTOR_LOG_LEVEL: must be debug, info, warn or error/);
    fails({ INFRA_IMPLEMENTOR_LLM_PRICES: '{"m": {"input": 1}}' }, /^INFRA_IMPLEMENTOR_LLM_PRICES: m\.output: .*cacheWrite/);
    fails({ INFRA_IMPLEMENTOR_LLM_PRICES: 'cheap' }, /^INFRA_IMPLEMENTOR_LLM_PRICES: must be JSON/);
    fails({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, /^OTEL_EXPORTER_OTLP_ENDPOINT: must be the URL of an OTLP\/HTTP receiver/);
    fails({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, /^OTEL_EXPORTER_OTLP_PROTOCOL: only http\/protobuf is supported/);
    fails({ OTEL_EXPORTER_OTLP_HEADERS: 'api-key' }, /^OTEL_EXPORTER_OTLP_HEADERS: must be key=value pairs/);
    fails({ OTEL_TRACES_SAMPLER_ARG: '2' }, /^OTEL_TRACES_SAMPLER_ARG: must be a ratio from 0 to 1/);
  });

  it('tracing is off without an endpoint, and the signal path is added to a base endpoint only', () => {
    const c = loadConfig({ INFRA_IMPLEMENTOR_METRICS_PORT: '9464', INFRA_IMPLEMENTOR_LOG_LEVEL: 'debug', INFRA_IMPLEMENTOR_LLM_PRICES: '{"m": {"input": 1, "output": 2, "cacheRead": 0.1, "cacheWrite": 1.25}}' });
    assert.deepEqual([c.INFRA_IMPLEMENTOR_METRICS_PORT, c.INFRA_IMPLEMENTOR_LOG_LEVEL, c.INFRA_IMPLEMENTOR_LLM_PRICES?.m?.cacheWrite], [9464, 'DEBUG', 1.25]);
    assert.equal(tracesUrl(loadConfig({})), undefined);
    assert.equal(tracesUrl(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })), 'http://collector:4318/v1/traces');
    assert.equal(tracesUrl(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t:4318/custom' })), 'http://t:4318/custom');
    assert.equal(tracesUrl(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' })), undefined);
    assert.equal(tracesUrl(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' })), undefined);
  });
});
