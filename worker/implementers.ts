// Which implementers a worker offers: scaffold always; the anthropic agent always registered, so
// that a run asking for it without ANTHROPIC_API_KEY fails with a message naming the variable.
import type { ActivityDeps } from '../activities';
import { defaultImplementers } from '../activities';
import { anthropicAgentFactory } from '../implementers/anthropic';
import type { Config } from './config';

export function workerImplementers(config: Config): Pick<ActivityDeps, 'implementers' | 'agents'> {
  // The key is read here, from the worker's own environment: it never enters workflow input or history.
  return { implementers: { ...defaultImplementers }, agents: { anthropic: anthropicAgentFactory(config) } };
}
