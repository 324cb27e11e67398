// Spans, metrics and log lines of the work done inside activities: each Messages API call (model,
// tokens, cost; never the prompt or the reply) and each validator command (tool, exit code, time;
// never its output). Only names, numbers and error types leave here: free text stays in Temporal's
// history. Without a tracer provider or a meter (the `check` command, tests) every call is a no-op.
import { SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { Context } from '@temporalio/activity';
import type { Logger, MetricMeter } from '@temporalio/common';
import type { UsageCounters } from '../core/phases';
import { BUILT_IN_PRICES, costUsd, priceOf, type ModelPrice, type PriceTable } from '../core/pricing';
import { ATTR, METRIC, TRACER_NAME } from '../core/telemetry';

interface Settings {
  meter?: MetricMeter;
  prices: PriceTable;
}

// Process-wide, like OpenTelemetry's own global provider: the worker sets it once at start-up.
let settings: Settings = { prices: BUILT_IN_PRICES };

/** Where metrics go (the Temporal runtime's meter) and which prices apply (over the built-in ones); set at start-up. */
export function configureInstrumentation(opts: { meter?: MetricMeter; prices?: PriceTable }): void {
  settings = {
    ...settings,
    ...(opts.meter ? { meter: opts.meter } : {}),
    ...(opts.prices ? { prices: { ...BUILT_IN_PRICES, ...opts.prices } } : {}),
  };
}

/** What a proposal's calls cost by the worker's price table, or undefined when its model has no price. */
export function llmCost(model: string, usage: Omit<UsageCounters, 'calls'>): number | undefined {
  return costUsd(model, usage, settings.prices);
}

/** The current activity's logger (its lines carry the run's ids), or none outside an activity. */
function activityLog(): Logger | undefined {
  try {
    return Context.current().log;
  } catch {
    return undefined;
  }
}

/** A name for what went wrong that carries no free text: the failure type or the error class. */
export function errorType(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { type?: unknown; name?: unknown; constructor?: { name?: string } };
    if (typeof e.type === 'string' && e.type) return e.type;
    const name = typeof e.name === 'string' && e.name !== 'Error' ? e.name : e.constructor?.name;
    if (name) return name;
  }
  return 'Error';
}

function failed(span: Span, err: unknown): string {
  const type = errorType(err);
  span.setAttribute(ATTR.errorType, type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
  return type;
}

const tracer = () => trace.getTracer(TRACER_NAME);

/** One Messages API call as a span `llm <model>` with OpenTelemetry's gen_ai attributes, plus metrics and a log line. */
export async function traceLlmCall<T extends { usage: UsageCounters }>(model: string, call: () => Promise<T>): Promise<T> {
  const attributes: Attributes = { 'gen_ai.provider.name': 'anthropic', 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': model };
  return tracer().startActiveSpan(`llm ${model}`, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    const started = performance.now();
    try {
      const reply = await call();
      const cost = countLlmUsage(span, model, reply.usage, 'ok');
      const u = reply.usage;
      activityLog()?.info('llm call', {
        model, inputTokens: u.inputTokens, outputTokens: u.outputTokens, cacheReadTokens: u.cacheReadTokens, cacheWriteTokens: u.cacheWriteTokens,
        costUsd: cost ?? 'unknown (no price for this model: set INFRA_IMPLEMENTOR_LLM_PRICES)', seconds: seconds(started),
      });
      return reply;
    } catch (err) {
      const type = failed(span, err);
      // A reply that broke after the API began to serve it was paid for: its tokens count too.
      const usage = (err as { usage?: UsageCounters } | undefined)?.usage;
      if (usage) countLlmUsage(span, model, usage, type);
      else settings.meter?.createCounter(METRIC.llmCalls, undefined, 'Messages API calls').add(1, { model, outcome: type });
      activityLog()?.warn('llm call failed', { model, errorType: type, seconds: seconds(started) });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The tokens and cost of one reply on its span and in the metrics; the cost, when the model has a price. */
function countLlmUsage(span: Span, model: string, u: UsageCounters, outcome: string): number | undefined {
  const cost = costUsd(model, u, settings.prices);
  span.setAttributes({
    // As the conventions count input: cached tokens included (the report's inputTokens are the uncached ones).
    'gen_ai.usage.input_tokens': u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens,
    'gen_ai.usage.output_tokens': u.outputTokens,
    'gen_ai.usage.cache_read.input_tokens': u.cacheReadTokens,
    'gen_ai.usage.cache_write.input_tokens': u.cacheWriteTokens,
    ...(cost !== undefined ? { [ATTR.costUsd]: cost } : {}),
  });
  const m = settings.meter;
  if (!m) return cost;
  m.createCounter(METRIC.llmCalls, undefined, 'Messages API calls').add(1, { model, outcome });
  const tokens = m.createCounter(METRIC.llmTokens, undefined, 'LLM tokens by kind');
  for (const [kind, n] of [['input', u.inputTokens], ['output', u.outputTokens], ['cache_read', u.cacheReadTokens], ['cache_write', u.cacheWriteTokens]] as const) {
    if (n > 0) tokens.add(n, { model, kind });
  }
  if (cost !== undefined) m.createHistogram(METRIC.llmCost, 'float', 'USD', 'dollars per LLM call').record(cost, { model });
  return cost;
}

/** A model's price by the worker's table (built-in prices and INFRA_IMPLEMENTOR_LLM_PRICES). */
export function llmPrice(model: string): ModelPrice | undefined {
  return priceOf(model, settings.prices);
}

export interface CommandInfo {
  /** The validator the command serves: kustomize or helm. */
  tool: string;
  /** What it does: build, lint, template. */
  command: string;
  /** The target, relative to the repository. */
  target: string;
}

/** One validator command as a span `<tool> <command>`, a duration metric and a debug line. */
export async function traceCommand<T extends { exitCode?: number | undefined }>(info: CommandInfo, run: () => Promise<T>): Promise<T> {
  const attributes: Attributes = { [ATTR.tool]: info.tool, [ATTR.command]: info.command, [ATTR.target]: info.target };
  return tracer().startActiveSpan(`${info.tool} ${info.command}`, { attributes }, async (span) => {
    const started = performance.now();
    let outcome = 'ok';
    try {
      const result = await run();
      if (result.exitCode !== undefined) span.setAttribute('process.exit_code', result.exitCode);
      if (result.exitCode !== 0) {
        outcome = 'failed';
        span.setStatus({ code: SpanStatusCode.ERROR, message: `exit code ${result.exitCode}` });
      }
      return result;
    } catch (err) {
      outcome = failed(span, err);
      throw err;
    } finally {
      span.end();
      const s = seconds(started);
      settings.meter?.createHistogram(METRIC.commandSeconds, 'float', 's', 'seconds of a validator command').record(s, { tool: info.tool, command: info.command, outcome });
      activityLog()?.debug(`${info.tool} ${info.command}`, { target: info.target, outcome, seconds: s });
    }
  });
}

const seconds = (since: number) => Math.round(performance.now() - since) / 1000;
