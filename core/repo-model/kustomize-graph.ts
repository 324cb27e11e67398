// The kustomize graph: every kustomization of the repository with every reference it makes, typed
// by kind (resources, components, patches of every form, generator files, helm charts, crds, …).
// One reading for the survey, the validator's discovery and the scaffold, so they cannot disagree
// about what a kustomization includes.
import { posix } from 'node:path';
import { arr, get, str } from '../yaml-docs';

export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** The one test of "is this file a kustomization". */
export const isKustomizationFile = (p: string): boolean => KUSTOMIZATION_FILES.includes(posix.basename(p));

/** A reference kustomize resolves outside the repository (URL, git or ssh address). */
export const REMOTE_REF = /^([a-z][a-z0-9+.-]*:\/\/|github\.com\/|git@|ssh:)/i;

export type RefKind =
  | 'resource' | 'component' | 'transformer' | 'generator' | 'validator'
  | 'crd' | 'configuration' | 'patch' | 'generator-file' | 'openapi' | 'helm-values';

export interface KustomizeRef {
  kind: RefKind;
  /** As written in the kustomization. */
  raw: string;
  /** Normalised path relative to the repository root; undefined for a remote reference. */
  path?: string;
  /** The reference may name a folder (another kustomization root). */
  dirOk: boolean;
}

export interface KustomizationNode {
  dir: string;
  file: string;
  object: Record<string, unknown>;
  component: boolean;
  refs: KustomizeRef[];
  /** Other roots (folders) this one includes: resources, bases, components, … */
  roots: string[];
  /** Files this build reads itself (its kustomization file included), existing or not. */
  files: string[];
  /** Reads something outside the repository, so its result cannot be cached by content. */
  remote: boolean;
  /** Files this kustomization applies as patches: partial objects, never whole manifests. */
  patchFiles: string[];
}

const DIR_KEYS: [string, RefKind][] = [
  ['resources', 'resource'], ['bases', 'resource'], ['components', 'component'],
  ['transformers', 'transformer'], ['generators', 'generator'], ['validators', 'validator'],
];

/** Every path a kustomization object names, typed. Inline patches name none. */
export function kustomizationRefs(dir: string, k: Record<string, unknown>): KustomizeRef[] {
  const out: KustomizeRef[] = [];
  const add = (v: unknown, kind: RefKind, dirOk: boolean) => {
    const raw = str(v);
    if (!raw) return;
    out.push(REMOTE_REF.test(raw) ? { kind, raw, dirOk } : { kind, raw, dirOk, path: posix.normalize(posix.join(dir, raw)) });
  };
  for (const [key, kind] of DIR_KEYS) arr(k[key]).forEach((v) => add(v, kind, true));
  arr(k.crds).forEach((v) => add(v, 'crd', false));
  arr(k.configurations).forEach((v) => add(v, 'configuration', false));
  // patchesStrategicMerge entries are file paths or inline patches (a string with a newline).
  for (const p of arr(k.patchesStrategicMerge)) if (typeof p === 'string' && !p.includes('\n')) add(p, 'patch', false);
  for (const key of ['patches', 'patchesJson6902', 'replacements']) arr(k[key]).forEach((p) => add(get(p, 'path'), 'patch', false));
  for (const key of ['configMapGenerator', 'secretGenerator']) {
    for (const g of arr(k[key])) {
      for (const f of arr(get(g, 'files'))) add(String(f).split('=').pop(), 'generator-file', false);
      arr(get(g, 'envs')).forEach((f) => add(f, 'generator-file', false));
      add(get(g, 'env'), 'generator-file', false);
    }
  }
  add(get(k, 'openapi', 'path'), 'openapi', false);
  for (const h of arr(k.helmCharts)) {
    add(get(h, 'valuesFile'), 'helm-values', false);
    arr(get(h, 'additionalValuesFiles')).forEach((f) => add(f, 'helm-values', false));
  }
  return out;
}

/** Local paths a kustomization object in `dir` names, for callers that edit kustomizations. */
export const refPaths = (dir: string, k: Record<string, unknown>): string[] => localRefs({ refs: kustomizationRefs(dir, k) });

/** Local (non-remote) paths a kustomization names. */
export const localRefs = (node: Pick<KustomizationNode, 'refs'>): string[] => node.refs.flatMap((r) => (r.path === undefined ? [] : [r.path]));

export interface GraphInput {
  files: readonly string[];
  directories: ReadonlySet<string>;
}

export function kustomizationNode(file: string, object: Record<string, unknown>, repo: GraphInput, fileSet: ReadonlySet<string>): KustomizationNode {
  const dir = posix.dirname(file);
  const refs = kustomizationRefs(dir, object);
  const node: KustomizationNode = {
    dir, file, object, refs, component: object.kind === 'Component', roots: [], files: [file], remote: false, patchFiles: [],
  };
  for (const ref of refs) {
    if (ref.path === undefined) {
      node.remote = true;
      continue;
    }
    if (ref.dirOk && repo.directories.has(ref.path) && !fileSet.has(ref.path)) node.roots.push(ref.path);
    else node.files.push(ref.path);
    if (ref.kind === 'patch') node.patchFiles.push(ref.path);
  }
  // Helm charts inflated by kustomize live under helmGlobals.chartHome (default ./charts).
  if (arr(object.helmCharts).length) {
    const home = posix.normalize(posix.join(dir, str(get(object, 'helmGlobals', 'chartHome')) ?? 'charts'));
    node.files.push(...repo.files.filter((f) => f.startsWith(`${home}/`)));
  }
  return node;
}

export type KustomizeGraph = ReadonlyMap<string, KustomizationNode>;

/** The files a root's build reads, through the roots it includes; `remote` when any part is remote. */
export function closure(graph: KustomizeGraph, dir: string): { files: string[]; remote: boolean } {
  const files = new Set<string>();
  let remote = false;
  const seen = new Set<string>();
  const visit = (d: string) => {
    if (seen.has(d)) return;
    seen.add(d);
    const r = graph.get(d);
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

/** The roots that include a folder or file, transitively (the overlays of a base). */
export function includers(graph: KustomizeGraph, target: string): KustomizationNode[] {
  const out = new Set<KustomizationNode>();
  const queue = [target];
  while (queue.length) {
    const t = queue.shift() as string;
    for (const r of graph.values()) {
      if (!out.has(r) && localRefs(r).includes(t)) {
        out.add(r);
        queue.push(r.dir);
      }
    }
  }
  return [...out];
}
