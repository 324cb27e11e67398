// What the workflows need from the schemas at run time, without zod: every module a workflow imports
// is loaded again for each run in the worker's sandbox, so these stay constants and plain functions.
import type { LlmUsage } from './schemas';

export const PHASES = ['base', 'overlay', 'config', 'network', 'gitops'] as const;

/** What a human may answer to a run that waits for one. */
export const ANSWER_ACTIONS = ['retry', 'accept', 'abort'] as const;

export const emptyUsage = (): LlmUsage => ({ calls: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 });
