// What Argo CD renders for an Application (and each Application an ApplicationSet's list generator
// makes): per source, a chart of a Helm repository, or a folder of this or another Git repository
// rendered with helm (valueFiles — `$ref/…` ones from the source with that `ref` in a multi-source
// Application —, values/valuesObject, parameters, releaseName) or kustomize (its options as a
// kustomization laid over the folder). Pure: validation/ fetches and renders.
import { posix } from 'node:path';
import picomatch from 'picomatch';
import { arr, get, rec, str } from '../yaml-docs';
import type { ChartSource } from './chart-source';
import { normaliseRepoUrl, repoPath } from './flux';

type Obj = Record<string, unknown>;

/** A source of a multi-source Application: this repository or another Git repository at a revision. */
export type ArgoRepo = 'self' | { url: string; ref?: string };

/** A values file: relative to the chart folder, or `$ref/path` in the root of the source with that `ref`. */
export type ArgoValueFile = string | { ref: string; path: string; raw: string };

export interface ArgoHelm {
  releaseName: string;
  namespace: string;
  /** In order, as helm takes them (`-f`). */
  valueFiles: ArgoValueFile[];
  /** `ignoreMissingValueFiles`: a file that does not exist is left out instead of failing. */
  ignoreMissing: boolean;
  /** The sources of the Application that have a `ref`, by that name. */
  refs: Record<string, ArgoRepo>;
  /** `valuesObject`, else `values` (a YAML string): above valueFiles, below parameters. */
  values?: Obj;
  valuesText?: string;
  parameters: { name: string; value: string; forceString: boolean }[];
  notes: string[];
}

export type ArgoPlan =
  | { kind: 'chart'; label: string; chart: Extract<ChartSource, { kind: 'helm' }>; helm: ArgoHelm }
  | { kind: 'folder'; label: string; repo: ArgoRepo; path: string; helm: ArgoHelm; kustomize?: { components: string[]; overlay: Obj } };

/** Argo CD's kustomize image override (`name=newName:tag`, `name:tag`, `name@digest`) as a kustomize image. */
export function kustomizeImage(spec: string): Obj {
  const [name = spec, target] = spec.includes('=') ? spec.split('=', 2) : [spec.replace(/[:@][^/]*$/, ''), spec];
  const t = target ?? name;
  const digest = /@(sha256:[0-9a-f]+)$/.exec(t)?.[1];
  const noDigest = t.replace(/@sha256:[0-9a-f]+$/, '');
  const tag = /:([^/:]+)$/.exec(noDigest)?.[1];
  const newName = noDigest.replace(/:[^/:]+$/, '');
  return { name, ...(newName !== name ? { newName } : {}), ...(tag ? { newTag: tag } : {}), ...(digest ? { digest } : {}) };
}

function kustomizeOptions(k: unknown, dir: string): { components: string[]; overlay: Obj } | undefined {
  const o = rec(k);
  if (!o) return undefined;
  const overlay: Obj = {};
  for (const key of ['namePrefix', 'nameSuffix', 'namespace', 'commonLabels', 'commonAnnotations', 'patches', 'replicas']) if (o[key] !== undefined) overlay[key] = o[key];
  if (arr(o.images).length) overlay.images = arr(o.images).map((i) => kustomizeImage(String(i)));
  const components = arr(o.components).flatMap((c) => (typeof c === 'string' ? [posix.normalize(posix.join(dir, c))] : []));
  return { components, overlay };
}

function helmOptions(h: unknown, app: Obj, refs: Record<string, ArgoRepo>): ArgoHelm {
  const notes: string[] = [];
  const valueFiles = arr(get(h, 'valueFiles')).flatMap((f): ArgoValueFile[] => {
    if (typeof f !== 'string') return [];
    const m = /^\$([^/]+)\/(.*)$/.exec(f);
    return m?.[1] ? [{ ref: m[1], path: m[2] ?? '', raw: f }] : [f];
  });
  const text = str(get(h, 'values'));
  const values = rec(get(h, 'valuesObject'));
  return {
    releaseName: str(get(h, 'releaseName')) ?? str(get(app, 'metadata', 'name')) ?? 'release',
    namespace: str(get(app, 'spec', 'destination', 'namespace')) ?? 'default',
    valueFiles,
    ignoreMissing: get(h, 'ignoreMissingValueFiles') === true,
    refs,
    ...(values ? { values } : text ? { valuesText: text } : {}),
    parameters: arr(get(h, 'parameters')).map((p) => ({ name: str(get(p, 'name')) ?? '', value: String(get(p, 'value') ?? ''), forceString: get(p, 'forceString') === true })),
    notes,
  };
}

/** The sources of an Application, as plans to render. */
export function argoPlans(app: Obj, self: ReadonlySet<string>): ArgoPlan[] {
  const single = rec(get(app, 'spec', 'source'));
  const sources: Obj[] = single ? [single] : arr(get(app, 'spec', 'sources')).flatMap((s): Obj[] => { const r = rec(s); return r ? [r] : []; });
  const name = str(get(app, 'metadata', 'name')) ?? '?';
  const repoOf = (s: Obj): ArgoRepo => {
    const ref = str(s.targetRevision);
    return self.has(normaliseRepoUrl(str(s.repoURL) ?? '')) ? 'self' : { url: str(s.repoURL) ?? '', ...(ref && ref !== 'HEAD' ? { ref } : {}) };
  };
  // Sources with `ref` lend their files to the others' `$ref/…` valueFiles (multi-source Applications).
  const refs = Object.fromEntries(sources.flatMap((s) => (str(s.ref) ? [[str(s.ref) as string, repoOf(s)]] : [])));
  const plans: ArgoPlan[] = [];
  for (const s of sources) {
    const repoURL = str(s.repoURL) ?? '';
    const helm = helmOptions(s.helm, app, refs);
    const chart = str(s.chart);
    if (chart) {
      const oci = !/^https?:\/\//.test(repoURL);
      const url = oci ? `oci://${repoURL.replace(/^oci:\/\//, '').replace(/\/+$/, '')}/${chart}` : repoURL;
      const version = str(s.targetRevision);
      plans.push({ kind: 'chart', label: `Application ${name}`, chart: { kind: 'helm', url, chart, ...(version && version !== '*' ? { version } : {}), oci, insecure: false }, helm });
      continue;
    }
    const p = str(s.path);
    if (p === undefined) continue;
    const repo = repoOf(s);
    const dir = repo === 'self' ? repoPath(p) : p.replace(/^\.\/|\/+$/g, '') || '.';
    if (dir === undefined) continue;
    const kustomize = kustomizeOptions(s.kustomize, dir);
    plans.push({
      kind: 'folder', label: `Application ${name}`, repo, path: dir, helm,
      ...(kustomize ? { kustomize } : {}),
    });
  }
  return plans;
}

/** The parameters of a Git directory generator for one folder, in the ApplicationSet's template style. */
function directoryParams(dir: string, goTemplate: boolean): Obj {
  const basename = posix.basename(dir);
  const normalized = basename.replace(/[^a-zA-Z0-9-]/g, '-').toLowerCase();
  const segments = dir.split('/');
  if (goTemplate) return { path: { path: dir, basename, basenameNormalized: normalized, segments } };
  return { path: dir, 'path.basename': basename, 'path.basenameNormalized': normalized, ...Object.fromEntries(segments.map((seg, i) => [`path[${i}]`, seg])) };
}

/** The parameter sets of one generator, or undefined when only the controller can know them. */
function generatorParams(g: unknown, goTemplate: boolean, repo: { self: ReadonlySet<string>; directories: ReadonlySet<string> }): Obj[] | undefined {
  const list = arr(get(g, 'list', 'elements'));
  if (list.length) return list.flatMap((e): Obj[] => { const r = rec(e); return r ? [r] : []; });
  const git = rec(get(g, 'git'));
  if (!git || !repo.self.has(normaliseRepoUrl(str(git.repoURL) ?? '')) || !arr(git.directories).length) return undefined;
  const rules = arr(git.directories).map((d) => ({ match: picomatch(str(get(d, 'path')) ?? '', { dot: false }), exclude: get(d, 'exclude') === true }));
  const dirs = [...repo.directories].filter((d) => d !== '.' && rules.some((r) => !r.exclude && r.match(d)) && !rules.some((r) => r.exclude && r.match(d))).sort();
  return dirs.map((d) => directoryParams(d, goTemplate));
}

/**
 * The Applications an ApplicationSet makes from its list generators and its Git directory
 * generators over this repository (`{{key}}`, `{{path.basename}}`, `{{.path.path}}` filled); other
 * generators (clusters, pull requests, Git of another repository…) only the controller can expand.
 */
export function expandApplicationSet(set: Obj, repo: { self: ReadonlySet<string>; directories: ReadonlySet<string> } = { self: new Set(), directories: new Set() }): { apps: Obj[]; unexpanded: string[] } {
  const template = rec(get(set, 'spec', 'template'));
  const goTemplate = get(set, 'spec', 'goTemplate') === true;
  const apps: Obj[] = [];
  const unexpanded: string[] = [];
  for (const g of arr(get(set, 'spec', 'generators'))) {
    const params = template ? generatorParams(g, goTemplate, repo) : undefined;
    if (!params) {
      unexpanded.push(Object.keys(rec(g) ?? {}).join(',') || '?');
      continue;
    }
    for (const e of params) {
      const fill = (t: string) => t.replace(/\{\{\s*\.?([\w.[\]-]+)\s*\}\}/g, (m, k: string) => String(e[k] ?? get(e, ...k.split('.')) ?? m));
      apps.push({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', ...(JSON.parse(fill(JSON.stringify(template))) as Obj) });
    }
  }
  return { apps, unexpanded };
}
