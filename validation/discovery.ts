// What there is to validate, read off the repository model: kustomization roots and every file each
// build reads (transitively), Helm charts with their values files, and folders of plain manifests.
import { posix } from 'node:path';
import { ARTIFACT_SOURCES, artifactFolder, closure, pathElsewhere, repoPath, type KustomizationNode, type RepoModel } from '../core/repo-model';
import { fluxBuild, strictOptOut, type FluxBuild } from '../core/repo-model/flux-build';
import { effectiveKustomizations } from '../core/repo-model/flux-parents';
import { atOrAfter, DEFAULT_FLUX_VERSION } from '../core/compliance/removed-api-version';
import { get, str, type ManifestDoc } from '../core/yaml-docs';

export type KustomizeRoot = KustomizationNode;

export interface Target {
  /** Overlay folder, chart folder, chart values file or manifest folder; relative to the root. */
  id: string;
  kind: 'kustomize' | 'helm' | 'plain';
  /** Every file whose content decides the rendering. */
  inputs: string[];
  cacheable: boolean;
  /** helm only: the chart folder and the extra values file, if any. */
  chart?: string;
  values?: string;
  /** What the one Flux Kustomization applying this folder adds (a plain folder: its targetNamespace and substitution). */
  flux?: FluxBuild;
}

export interface Discovery {
  roots: ReadonlyMap<string, KustomizeRoot>;
  targets: Target[];
  /** Every parsed source document with apiVersion and kind, for source mapping and Flux lookups. */
  sourceDocs: ManifestDoc[];
}

/** The folder of this tree a Flux Kustomization (as its parent hands it over) applies: its path, or the folder an artifact of this repository holds it in. */
function appliedFolder(model: RepoModel, object: Record<string, unknown>, file: string): string | undefined {
  const path = repoPath(str(get(object, 'spec', 'path')) ?? '.');
  if (path === undefined) return undefined;
  if (ARTIFACT_SOURCES.has(str(get(object, 'spec', 'sourceRef', 'kind')) ?? '')) return artifactFolder(model.paths, path, file);
  return pathElsewhere(object, model.flux) ? undefined : path;
}

/** The Flux release from which kustomize-controller substitutes strictly by default (1.9: StrictPostBuildSubstitutions on). */
export const STRICT_SUBSTITUTION_SINCE = '2.9';

const optOutOf = new WeakMap<object, boolean>();
/**
 * Whether kustomize-controller substitutes strictly here: by default from Flux 2.9 on (the target
 * `--flux-version`), unless the repository's controller opts out of the feature gate.
 */
export function strictSubstitution(model: Pick<RepoModel, 'manifests' | 'kustomize'>, fluxVersion: string = DEFAULT_FLUX_VERSION): boolean {
  if (!atOrAfter(fluxVersion, STRICT_SUBSTITUTION_SINCE)) return false;
  let optOut = optOutOf.get(model.manifests);
  if (optOut === undefined) {
    optOut = strictOptOut([...model.manifests.map((d) => d.object), ...[...model.kustomize.values()].map((n) => n.object)]);
    optOutOf.set(model.manifests, optOut);
  }
  return !optOut;
}

/** What kustomize-controller adds when exactly one Flux Kustomization of this tree applies `dir`. */
function appliedBy(model: RepoModel, dir: string, fluxVersion: string): FluxBuild | undefined {
  // Each Flux Kustomization as its parent's build hands it to the controller (the parent's patches applied).
  const strict = strictSubstitution(model, fluxVersion);
  const effective = effectiveKustomizations(model, strict);
  const appliers = model.flux.kustomizations.map((d) => ({ d, e: effective.get(d) ?? { object: d.object } }))
    .filter(({ d, e }) => appliedFolder(model, e.object, d.file) === dir);
  const [one] = appliers;
  if (appliers.length !== 1 || !one) return undefined;
  return { ...fluxBuild({ object: one.e.object, file: one.d.file }, model.manifests, { strict }), ...(one.e.parent && !one.e.problem ? { parent: one.e.parent, parentFiles: one.e.parentFiles ?? [] } : {}) };
}

export function discover(model: RepoModel, fluxVersion: string = DEFAULT_FLUX_VERSION): Discovery {
  const roots = model.kustomize;
  const sourceDocs = model.manifests;
  // Entry roots: included by no other root (overlays), or applied directly by a Flux Kustomization.
  const included = new Set([...roots.values()].flatMap((r) => r.roots));
  const applied = new Set(model.flux.kustomizations.flatMap((d) => repoPath(str(get(d.object, 'spec', 'path')) ?? '.') ?? []));
  const targets: Target[] = [];
  const readByRoots = new Set<string>();
  for (const r of roots.values()) {
    const { files, remote } = closure(roots, r.dir);
    files.forEach((f) => readByRoots.add(f));
    if (r.component || (included.has(r.dir) && !applied.has(r.dir))) continue;
    const flux = appliedBy(model, r.dir, fluxVersion);
    const extra = flux ? [flux.file, ...flux.parentFiles ?? [], ...flux.components.flatMap((c) => closure(roots, c).files)] : [];
    targets.push({ id: r.dir, kind: 'kustomize', inputs: [...new Set([...files, ...extra])].sort(), cacheable: !remote, ...(flux ? { flux } : {}) });
  }

  for (const chart of model.helm.charts) {
    const inputs = model.paths.filter((f) => f.startsWith(`${chart}/`));
    targets.push({ id: chart, kind: 'helm', inputs, cacheable: true, chart });
    // Extra values files beside the chart (values-prod.yaml, values.staging.yaml): one rendering each.
    for (const v of inputs.filter((f) => posix.dirname(f) === chart && /^values[-.].+\.ya?ml$/.test(posix.basename(f)) && !/^values\.ya?ml$/.test(posix.basename(f)))) {
      targets.push({ id: v, kind: 'helm', inputs, cacheable: true, chart, values: v });
    }
  }

  // Plain manifest folders: manifests no kustomization reads and no chart holds.
  const plain = new Map<string, Set<string>>();
  for (const d of sourceDocs) {
    if (readByRoots.has(d.file) || roots.has(posix.dirname(d.file))) continue;
    const dir = posix.dirname(d.file);
    (plain.get(dir) ?? plain.set(dir, new Set()).get(dir))?.add(d.file);
  }
  for (const [dir, files] of plain) {
    const flux = appliedBy(model, dir, fluxVersion);
    targets.push({ id: dir, kind: 'plain', inputs: [...files].sort(), cacheable: true, ...(flux ? { flux } : {}) });
  }

  return { roots, targets: targets.sort((a, b) => a.id.localeCompare(b.id)), sourceDocs };
}

/**
 * Targets whose inputs include a changed file. A kustomization keeps naming a deleted file, so that
 * case is covered by its inputs; a deleted plain manifest or chart file is matched by its folder.
 */
export function affectedTargets(targets: readonly Target[], changed: readonly string[]): Target[] {
  const set = new Set(changed.map((c) => posix.normalize(c)));
  const folderOf = (t: Target): string | undefined => (t.kind === 'plain' ? t.id : t.chart);
  return targets.filter((t) => t.inputs.some((f) => set.has(f))
    || [...set].some((c) => { const dir = folderOf(t); return dir !== undefined && (posix.dirname(c) === dir || c.startsWith(`${dir}/`)); }));
}
