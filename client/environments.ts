// The CLI edge check for new environments: survey the repository on disk once, before anything
// starts, and refuse (exit 2) a spec naming an environment that has no overlay, unless allowed.
import { newEnvironmentMessage, knownEnvironments, newEnvironments } from '../core/scaffold/environments';
import type { ServiceSpec } from '../core/schemas';
import { surveyPatterns } from '../runtime/patterns';
import { UsageError } from './inputs';

export async function refuseNewEnvironments(infraRoot: string, specs: { where: string; spec?: ServiceSpec }[]): Promise<void> {
  const asking = specs.filter((s) => s.spec?.environments && !s.spec.allowNewEnvironment);
  if (!asking.length) return;
  const { profile } = await surveyPatterns({ infraRoot });
  for (const { where, spec } of asking) {
    const missing = newEnvironments(spec as ServiceSpec, profile);
    if (missing.length) throw new UsageError(`${where}: ${newEnvironmentMessage(missing, knownEnvironments(profile))}`);
  }
}
