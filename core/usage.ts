// LLM usage as a run adds it up: tokens of each kind, estimated dollars of the calls whose model has a
// price, the calls whose model has none, and the same per model. Sandbox-safe: the workflows sum
// their proposals' usage with it, and a feature its children's.
import { emptyUsage, type TokenCounters, type UsageCounters } from './phases';

const TOKENS = ['calls', 'inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens'] as const;

const sumTokens = (into: TokenCounters, add: TokenCounters) => {
  for (const k of TOKENS) into[k] += add[k];
};

/** Add `add` into `total` (mutating it): a proposal's usage into its run's, or a child's into its feature's. */
export function addUsage(total: UsageCounters, add: UsageCounters | undefined): void {
  if (!add) return;
  sumTokens(total, add);
  if (add.costUsd !== undefined) total.costUsd = (total.costUsd ?? 0) + add.costUsd;
  const unpriced = add.unpricedCalls ?? (add.model !== undefined && add.costUsd === undefined ? add.calls : 0);
  if (unpriced) total.unpricedCalls = (total.unpricedCalls ?? 0) + unpriced;
  const models = add.byModel ?? (add.model !== undefined ? { [add.model]: { ...pickTokens(add), ...(add.costUsd !== undefined ? { costUsd: add.costUsd } : {}) } } : {});
  for (const [model, m] of Object.entries(models)) {
    total.byModel ??= {};
    const into = (total.byModel[model] ??= { ...emptyTokens() });
    sumTokens(into, m);
    if (m.costUsd !== undefined) into.costUsd = (into.costUsd ?? 0) + m.costUsd;
  }
}

const emptyTokens = (): TokenCounters => ({ calls: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 });
const pickTokens = (u: TokenCounters): TokenCounters => Object.fromEntries(TOKENS.map((k) => [k, u[k]])) as unknown as TokenCounters;

/** The usage of many (a feature's children). */
export function totalUsage(all: (UsageCounters | undefined)[]): UsageCounters {
  const total = emptyUsage();
  for (const u of all) addUsage(total, u);
  return total;
}

/** Dollars, as people read them: `$0.0123`, or `unknown` when no call had a price. */
export const formatUsd = (usd: number | undefined): string => (usd === undefined ? 'unknown' : `$${usd < 1 ? usd.toFixed(4) : usd.toFixed(2)}`);
