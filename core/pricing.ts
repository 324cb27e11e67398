// What an LLM call cost in dollars: a price table per model (dollars per million tokens of each kind),
// built in for the models whose public prices we know, overridable with INFRA_IMPLEMENTOR_LLM_PRICES.
// A model without a price has no cost: it is reported as unknown, never as zero.
import { z } from 'zod';
import type { UsageCounters } from './phases';

export const ModelPrice = z.object({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cacheRead: z.number().nonnegative(),
  cacheWrite: z.number().nonnegative(),
}).strict();
export type ModelPrice = z.infer<typeof ModelPrice>;

/** Model name or prefix → price; the longest matching prefix wins (`claude-opus-4-5` before `claude-opus-4`). */
export const PriceTable = z.record(z.string().min(1), ModelPrice);
export type PriceTable = z.infer<typeof PriceTable>;

/**
 * Anthropic's published list prices (USD per million tokens; cache writes at the 5-minute rate): the
 * one price table of the project (the run's cost, its budget and the metrics all use it).
 */
export const BUILT_IN_PRICES: PriceTable = {
  // Families, for models newer than this table (the default claude-sonnet-5-5 among them): their
  // family's latest list price, an estimate until INFRA_IMPLEMENTOR_LLM_PRICES says otherwise.
  'claude-opus': { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 },
  'claude-sonnet': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-haiku': { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 },
  'claude-opus-4-5': { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 },
  'claude-opus-4': { input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75 },
  'claude-sonnet-4': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-haiku-4-5': { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 },
  'claude-3-5-haiku': { input: 0.8, output: 4, cacheRead: 0.08, cacheWrite: 1 },
};

/** Parse `INFRA_IMPLEMENTOR_LLM_PRICES` (JSON: `{"model": {"input":…, "output":…, "cacheRead":…, "cacheWrite":…}}`). */
export function parsePriceTable(json: string): PriceTable {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error('must be JSON such as {"claude-sonnet-4": {"input": 3, "output": 15, "cacheRead": 0.3, "cacheWrite": 3.75}}');
  }
  const parsed = PriceTable.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${issue?.path.join('.') || 'value'}: ${issue?.message} (each model needs input, output, cacheRead and cacheWrite in USD per million tokens)`);
  }
  return parsed.data;
}

export function priceOf(model: string, table: PriceTable): ModelPrice | undefined {
  const key = Object.keys(table).filter((k) => model === k || model.startsWith(k)).sort((a, b) => b.length - a.length)[0];
  return key === undefined ? undefined : table[key];
}

/** Dollars for one call's usage, or undefined when the model has no price. */
export function costUsd(model: string, usage: Omit<UsageCounters, 'calls'>, table: PriceTable): number | undefined {
  const p = priceOf(model, table);
  if (!p) return undefined;
  return (usage.inputTokens * p.input + usage.outputTokens * p.output + usage.cacheReadTokens * p.cacheRead + usage.cacheWriteTokens * p.cacheWrite) / 1e6;
}
