// What `check` could not check, said out loud: the skipped validations that hide workloads (a
// HelmRelease whose chart was not rendered, a build that could not run), a required tool that is
// missing (exit 2, naming it), `--strict` (any such skip fails), and a run in which nothing judged
// the repository (exit 3). Informational skips — no cluster for a dry run, a folder nothing deploys,
// kinds without a schema — are not counted against it.
import { unvalidatedReason } from '../core/run-machine';
import type { ValidationResult } from '../core/schemas';
import type { Toolbox } from '../validation/tools';

/** Skips that stand for unseen workloads: releases not rendered, builds and charts not run. */
export function hidingSkips(validations: readonly ValidationResult[]): { releases: ValidationResult[]; builds: ValidationResult[] } {
  const skipped = validations.filter((v) => v.status === 'skipped');
  return {
    releases: skipped.filter((v) => v.validator === 'helm' && /^HelmRelease /.test(v.message)),
    builds: skipped.filter((v) => (v.validator === 'kustomize' || v.validator === 'helm') && !/^HelmRelease /.test(v.message)),
  };
}

/** The sentence after the summary naming what the skips hide, or '' when they hide nothing. */
export function notCheckedLine(validations: readonly ValidationResult[]): string {
  const { releases, builds } = hidingSkips(validations);
  const parts = [
    ...(releases.length ? [`${releases.length} HelmRelease(s) whose charts were not rendered`] : []),
    ...(builds.length ? [`${builds.length} build(s) that could not run`] : []),
  ];
  return parts.length ? `; not checked: ${parts.join(', ')} (their workloads are not judged)` : '';
}

/** The tools a skip says are missing, with how many targets each left unbuilt. */
export function missingTools(validations: readonly ValidationResult[], tools: Pick<Toolbox, 'missing' | 'kustomize' | 'helm'>): string[] {
  const out: string[] = [];
  for (const name of ['kustomize', 'helm'] as const) {
    if (tools[name]) continue;
    const n = validations.filter((v) => v.status === 'skipped' && v.message.includes(tools.missing[name])).length;
    if (n) out.push(`${tools.missing[name]}: ${n} target(s) could not be built`);
  }
  return out;
}

export type Verdict = { code: 0 | 1 | 2 | 3; why?: string };

/** Exit code beyond findings: 2 for a missing tool, 1 for a skip under --strict, 3 when nothing judged. */
export function honestyVerdict(validations: readonly ValidationResult[], tools: Pick<Toolbox, 'missing' | 'kustomize' | 'helm'>, strict: boolean): Verdict | undefined {
  const missing = missingTools(validations, tools);
  if (missing.length) return { code: 2, why: `check: ${missing.join('; ')}` };
  const { releases, builds } = hidingSkips(validations);
  if (strict && releases.length + builds.length) return { code: 1, why: `check: --strict: ${releases.length + builds.length} target(s) skipped, e.g. ${[...releases, ...builds][0]?.message.split('\n')[0]}` };
  const unjudged = unvalidatedReason(validations);
  if (unjudged) return { code: 3, why: `check: nothing validated the repository: ${unjudged}` };
  return undefined;
}
