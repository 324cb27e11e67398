// Which implementers a worker offers: scaffold always; anthropic when an API key is configured.
import type { ActivityDeps } from '../activities';
import { defaultImplementers } from '../activities';
import type { Config } from './config';

export function workerImplementers(_config: Config): ActivityDeps['implementers'] {
  return { ...defaultImplementers };
}
