// What there is to validate: kustomization roots and every file each build reads (transitively),
// Helm charts with their values files, and folders of plain manifests. Pure over a snapshot.
import { posix } from 'node:path';
import { arr, get, isYamlFile, parseManifests, str, type ManifestDoc } from '../core/yaml-docs';
import type { RepoSnapshot } from './snapshot';

export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

export interface KustomizeRoot {
  dir: string;
  file: string;
  /** Other roots (folders) this one includes: resources, bases, components. */
  roots: string[];
  /** Files this build reads itself (its kustomization file included), existing or not. */
  files: string[];
  /** Reads something outside the repository (a URL), so its result cannot be cached by content. */
  remote: boolean;
  component: boolean;
}

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
}

export interface Discovery {
  roots: Map<string, KustomizeRoot>;
  targets: Target[];
  /** Every parsed source document with apiVersion and kind, for source mapping and Flux lookups. */
  sourceDocs: ManifestDoc[];
}

const REMOTE = /^([a-z][a-z0-9+.-]*:\/\/|github\.com\/|git@|ssh:)/i;

/** Every path a kustomization names, as (path, may be a folder) pairs. Inline patches name none. */
function kustomizationRefs(k: Record<string, unknown>): { path: string; dirOk: boolean }[] {
  const out: { path: string; dirOk: boolean }[] = [];
  const add = (v: unknown, dirOk: boolean) => {
    const s = str(v);
    if (s) out.push({ path: s, dirOk });
  };
  for (const key of ['resources', 'bases', 'components', 'transformers', 'generators', 'validators']) arr(k[key]).forEach((v) => add(v, true));
  for (const key of ['crds', 'configurations']) arr(k[key]).forEach((v) => add(v, false));
  for (const p of arr(k.patchesStrategicMerge)) if (typeof p === 'string' && !p.includes('\n')) add(p, false);
  for (const key of ['patches', 'patchesJson6902', 'replacements']) arr(k[key]).forEach((p) => add(get(p, 'path'), false));
  for (const key of ['configMapGenerator', 'secretGenerator']) {
    for (const g of arr(k[key])) {
      for (const f of arr(get(g, 'files'))) add(String(f).split('=').pop(), false);
      arr(get(g, 'envs')).forEach((f) => add(f, false));
      add(get(g, 'env'), false);
    }
  }
  add(get(k, 'openapi', 'path'), false);
  return out;
}

function readRoot(snap: RepoSnapshot, fileSet: ReadonlySet<string>, file: string): KustomizeRoot {
  const dir = posix.dirname(file);
  const obj = parseManifests(file, snap.text(file) ?? '').docs[0]?.object ?? {};
  const root: KustomizeRoot = { dir, file, roots: [], files: [file], remote: false, component: obj.kind === 'Component' };
  for (const ref of kustomizationRefs(obj)) {
    if (REMOTE.test(ref.path)) {
      root.remote = true;
      continue;
    }
    const p = posix.normalize(posix.join(dir, ref.path));
    if (ref.dirOk && snap.directories.has(p) && !fileSet.has(p)) root.roots.push(p);
    else root.files.push(p);
  }
  // Helm charts inflated by kustomize live under helmGlobals.chartHome (default ./charts).
  if (arr(obj.helmCharts).length) {
    const home = posix.normalize(posix.join(dir, str(get(obj, 'helmGlobals', 'chartHome')) ?? 'charts'));
    root.files.push(...snap.files.filter((f) => f.startsWith(`${home}/`)));
    for (const h of arr(obj.helmCharts)) if (str(get(h, 'valuesFile'))) root.files.push(posix.join(dir, str(get(h, 'valuesFile')) ?? ''));
  }
  return root;
}

/** The files a root's build reads, through the roots it includes; `remote` when any part is remote. */
export function closure(roots: Map<string, KustomizeRoot>, dir: string): { files: string[]; remote: boolean } {
  const files = new Set<string>();
  let remote = false;
  const seen = new Set<string>();
  const visit = (d: string) => {
    if (seen.has(d)) return;
    seen.add(d);
    const r = roots.get(d);
    if (!r) {
      files.add(`${d}/kustomization.yaml`); // a folder without kustomization: creating one changes the build
      return;
    }
    remote ||= r.remote;
    r.files.forEach((f) => files.add(f));
    r.roots.forEach(visit);
  };
  visit(dir);
  return { files: [...files].sort(), remote };
}

const isManifest = (d: ManifestDoc): boolean => typeof d.object.apiVersion === 'string' && typeof d.object.kind === 'string';

export function discover(snap: RepoSnapshot, fluxPaths: (docs: ManifestDoc[]) => string[]): Discovery {
  const roots = new Map<string, KustomizeRoot>();
  const fileSet = new Set(snap.files);
  for (const f of snap.files) {
    if (KUSTOMIZATION_FILES.includes(posix.basename(f)) && !roots.has(posix.dirname(f))) roots.set(posix.dirname(f), readRoot(snap, fileSet, f));
  }

  const chartDirs = snap.files.filter((f) => posix.basename(f) === 'Chart.yaml').map((f) => posix.dirname(f));
  const inChart = (f: string) => chartDirs.some((c) => f.startsWith(`${c}/`));

  const sourceDocs: ManifestDoc[] = [];
  for (const f of snap.files) {
    if (!isYamlFile(f) || inChart(f) || KUSTOMIZATION_FILES.includes(posix.basename(f))) continue;
    sourceDocs.push(...parseManifests(f, snap.text(f) ?? '').docs.filter(isManifest));
  }

  // Entry roots: included by no other root (overlays), or applied directly by a Flux Kustomization.
  const included = new Set([...roots.values()].flatMap((r) => r.roots));
  const applied = new Set(fluxPaths(sourceDocs));
  const targets: Target[] = [];
  const readByRoots = new Set<string>();
  for (const r of roots.values()) {
    const { files, remote } = closure(roots, r.dir);
    files.forEach((f) => readByRoots.add(f));
    if (r.component || (included.has(r.dir) && !applied.has(r.dir))) continue;
    targets.push({ id: r.dir, kind: 'kustomize', inputs: files, cacheable: !remote });
  }

  for (const chart of chartDirs) {
    const inputs = snap.files.filter((f) => f.startsWith(`${chart}/`));
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
  for (const [dir, files] of plain) targets.push({ id: dir, kind: 'plain', inputs: [...files].sort(), cacheable: true });

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
