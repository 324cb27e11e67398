// Targets nothing deploys: where the repository bootstraps Flux, a target none of whose files the
// GitOps roots apply (core/repo-model/deployed.ts) is not rendered nor judged; one `skipped` line per
// folder says so, instead of findings on manifests no cluster will see.
import { posix } from 'node:path';
import { deployment, type RepoModel } from '../core/repo-model';
import type { ValidationResult } from '../core/schemas';
import type { Target } from './discovery';

export interface DeployedSplit {
  deployed: Target[];
  /** One line per top-most folder nothing deploys. */
  notDeployed: ValidationResult[];
}

export function splitDeployed(model: RepoModel, targets: readonly Target[]): DeployedSplit {
  const d = deployment(model);
  if (!d) return { deployed: [...targets], notDeployed: [] };
  const files = [...d.files];
  const holdsDeployed = (dir: string) => dir === '.' || files.some((f) => f.startsWith(`${dir}/`));
  const deployed: Target[] = [];
  const groups = new Map<string, string[]>();
  for (const t of targets) {
    if (t.inputs.some((f) => d.files.has(f)) || d.files.has(t.id)) {
      deployed.push(t);
      continue;
    }
    // The highest folder above the target that holds nothing deployed names the group.
    let top = t.id;
    for (let up = posix.dirname(top); up !== '.' && !holdsDeployed(up); up = posix.dirname(up)) top = up;
    groups.set(top, [...(groups.get(top) ?? []), t.id]);
  }
  const notDeployed = [...groups].sort(([a], [b]) => a.localeCompare(b)).map(([top, ids]): ValidationResult => ({
    validator: 'flux', target: top, status: 'skipped',
    message: `not deployed: nothing reached from the Flux bootstrap (${d.entries.join(', ')}) applies ${top}; ${ids.length} target(s) not judged`,
  }));
  return { deployed, notDeployed };
}
