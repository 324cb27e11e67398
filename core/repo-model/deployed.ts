// What the repository's GitOps roots actually apply. Starting from where Flux is bootstrapped — a
// Flux Kustomization of the `flux-system` source that syncs its own folder (flux bootstrap), or a
// Flux Operator FluxInstance's sync path (or the flux-instance chart's `instance.sync` values) — every Kustomization path, component and Argo CD
// Application path reached from there is followed through the files kustomize would read (or, for a
// folder without kustomization.yaml, every manifest under it, as kustomize-controller generates one).
// Folders nothing reaches — an archive, an app commented out of its namespace's list — are not
// deployed. Without a bootstrap in the repository there is no telling: undefined, and all is judged.
import { posix } from 'node:path';
import { arr, get, str, type ManifestDoc } from '../yaml-docs';
import { ARTIFACT_SOURCES, BOOTSTRAP_SOURCE, artifactFolder, isFluxKustomizationObject, repoPath } from './flux';
import { closure, type KustomizeGraph } from './kustomize-graph';
import type { ArgoModel } from './argo';

export interface Deployment {
  /** The folders Flux is bootstrapped from. */
  entries: string[];
  /** Every file some root applies. */
  files: ReadonlySet<string>;
}

interface DeployInput {
  paths: readonly string[];
  kustomize: KustomizeGraph;
  manifests: readonly ManifestDoc[];
  argo: Pick<ArgoModel, 'sources' | 'self'>;
}

const inside = (dir: string, file: string) => dir === '.' || file.startsWith(`${dir}/`);

/** Where Flux is bootstrapped from: self-syncing flux-system Kustomizations and FluxInstance sync paths. */
export function bootstrapEntries(manifests: readonly ManifestDoc[]): string[] {
  const entries = new Set<string>();
  for (const d of manifests) {
    const o = d.object;
    if (isFluxKustomizationObject(o) && str(get(o, 'spec', 'sourceRef', 'name')) === BOOTSTRAP_SOURCE) {
      const path = repoPath(str(get(o, 'spec', 'path')) ?? '.');
      if (path !== undefined && inside(path, d.file)) entries.add(path);
    }
    // A FluxInstance, or the flux-instance chart's values that make one (`instance.sync`).
    const sync = o.kind === 'FluxInstance' && /^fluxcd\.controlplane\.io\//.test(str(o.apiVersion) ?? '') ? get(o, 'spec', 'sync')
      : o.kind === 'HelmRelease' ? get(o, 'spec', 'values', 'instance', 'sync') : undefined;
    const path = repoPath(str(get(sync, 'path')) ?? '');
    if (sync && (str(get(sync, 'kind')) ?? 'GitRepository') === 'GitRepository' && path !== undefined && path !== '.') entries.add(path);
  }
  return [...entries].sort();
}

/**
 * The files one folder's build applies: its kustomization's closure; else, as kustomize-controller
 * generates one, every manifest under it, a sub-folder with a kustomization counting as that build.
 */
function applied(input: DeployInput, dir: string): string[] {
  if (input.kustomize.has(dir)) return closure(input.kustomize, dir).files;
  const built = [...input.kustomize.keys()].filter((k) => k !== dir && inside(dir, k) && ![...input.kustomize.keys()].some((o) => o !== k && o !== dir && inside(dir, o) && inside(o, k)));
  const underBuilt = (f: string) => built.some((k) => inside(k, f));
  return [...input.paths.filter((f) => inside(dir, f) && !underBuilt(f)), ...built.flatMap((k) => closure(input.kustomize, k).files)];
}

/** Folders the Flux and Argo objects of `file` sync from this repository (with their components). */
function syncedBy(input: DeployInput, docs: readonly ManifestDoc[]): string[] {
  const out: string[] = [];
  for (const d of docs) {
    const o = d.object;
    if (!isFluxKustomizationObject(o)) continue;
    const src = str(get(o, 'spec', 'sourceRef', 'kind')) ?? 'GitRepository';
    const named = repoPath(str(get(o, 'spec', 'path')) ?? '.');
    const path = named !== undefined && ARTIFACT_SOURCES.has(src) ? artifactFolder(input.paths, named, d.file) : named;
    if (path === undefined) continue;
    out.push(path);
    for (const c of arr(get(o, 'spec', 'components'))) if (typeof c === 'string') out.push(posix.normalize(posix.join(path, c)));
  }
  // A chart in this repository, installed by a HelmRelease through the repository's own source.
  for (const d of docs) {
    const ref = get(d.object, 'spec', 'chart', 'spec');
    const chart = str(get(ref, 'chart'));
    if (d.object.kind === 'HelmRelease' && str(get(ref, 'sourceRef', 'kind')) === 'GitRepository' && chart) {
      const dir = repoPath(chart);
      if (dir !== undefined) out.push(dir);
    }
  }
  for (const s of input.argo.sources) {
    const dir = repoPath(s.path);
    if (docs.includes(s.doc) && input.argo.self.has(s.repoURL) && dir !== undefined) out.push(dir);
  }
  return out;
}

export function deployment(input: DeployInput): Deployment | undefined {
  const entries = bootstrapEntries(input.manifests);
  if (!entries.length) return undefined;
  const byFile = new Map<string, ManifestDoc[]>();
  for (const d of input.manifests) byFile.set(d.file, [...(byFile.get(d.file) ?? []), d]);
  const files = new Set<string>();
  const seen = new Set<string>();
  const queue = [...entries];
  while (queue.length) {
    const dir = queue.shift() as string;
    if (seen.has(dir)) continue;
    seen.add(dir);
    for (const f of applied(input, dir)) {
      if (files.has(f)) continue;
      files.add(f);
      queue.push(...syncedBy(input, byFile.get(f) ?? []));
    }
  }
  return { entries, files };
}
