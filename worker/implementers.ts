// Which implementers a worker offers: scaffold always; anthropic always registered, so that a run
// asking for it without ANTHROPIC_API_KEY fails with a message naming the variable.
import type { ActivityDeps } from '../activities';
import { defaultImplementers } from '../activities';
import { anthropicImplementerFactory } from '../implementers/anthropic';
import type { Config } from './config';

export function workerImplementers(config: Config): ActivityDeps['implementers'] {
  // The key is read here, from the worker's own environment: it never enters workflow input or history.
  return { ...defaultImplementers, anthropic: anthropicImplementerFactory(config) };
}
