// What the workflows need from the schemas at run time, without zod: every module a workflow imports
// is loaded again for each run in the worker's sandbox, so these stay constants and plain functions.

export const PHASES = ['base', 'overlay', 'config', 'network', 'gitops'] as const;

/** What a human may answer to a run that waits for one. */
export const ANSWER_ACTIONS = ['retry', 'accept', 'abort'] as const;

/** What the LLM calls of a run used (the zod schema `LlmUsage` in schemas.ts has the same shape). */
export interface TokenCounters {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

export interface UsageCounters extends TokenCounters {
  costUsd?: number;
  unpricedCalls?: number;
  byModel?: Record<string, TokenCounters & { costUsd?: number }>;
  model?: string;
}

export const emptyUsage = (): UsageCounters => ({ calls: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 });

export type AnswerAction = (typeof ANSWER_ACTIONS)[number];
