// The Flux object model: which objects are Flux's, where their paths point, which sources they name
// and whether each source is defined here, created at run time (flux bootstrap, the Flux Operator's
// FluxInstance, an ArtifactGenerator's ExternalArtifact) or another repository's.
import { posix } from 'node:path';
import { arr, get, str, type ManifestDoc } from '../yaml-docs';

const FLUX_KUSTOMIZE = /^kustomize\.toolkit\.fluxcd\.io\//;
const FLUX_HELM = /^helm\.toolkit\.fluxcd\.io\//;
const SOURCE_GROUP = /^source\.toolkit\.fluxcd\.io\//;
/** Sources whose path is inside an artifact, not this repository: their paths cannot be checked here. */
export const ARTIFACT_SOURCES = new Set(['OCIRepository', 'Bucket', 'ExternalArtifact']);
/** The name `flux bootstrap` and the Flux Operator give the source of the repository they sync. */
export const BOOTSTRAP_SOURCE = 'flux-system';

type Obj = Record<string, unknown>;
const kindOf = (o: Obj): string => str(o.kind) ?? '';
const nsOf = (o: Obj): string | undefined => str(get(o, 'metadata', 'namespace'));

export const isFluxKustomizationObject = (o: Obj): boolean => kindOf(o) === 'Kustomization' && FLUX_KUSTOMIZE.test(str(o.apiVersion) ?? '');
export const isHelmRelease = (o: Obj): boolean => kindOf(o) === 'HelmRelease' && FLUX_HELM.test(str(o.apiVersion) ?? '');
export const isFluxSource = (o: Obj): boolean => SOURCE_GROUP.test(str(o.apiVersion) ?? '');

/** The repository folder a Flux path names (`./apps/prod` → `apps/prod`), or undefined when it climbs out. */
export function repoPath(p: string): string | undefined {
  const norm = posix.normalize(p.replace(/^\/+/, '') || '.');
  return norm === '..' || norm.startsWith('../') ? undefined : norm.replace(/\/$/, '') || '.';
}

export const helmReleaseSource = (o: Obj): unknown => get(o, 'spec', 'chartRef') ?? get(o, 'spec', 'chart', 'spec', 'sourceRef');

/** `Kind/namespace/name` (namespace empty when unset) of every Flux source among `objects`. */
export function definedSources(objects: Iterable<Obj>): Set<string> {
  const out = new Set<string>();
  for (const o of objects) {
    if (!isFluxSource(o)) continue;
    const n = str(get(o, 'metadata', 'name'));
    if (n) out.add(`${kindOf(o)}/${nsOf(o) ?? ''}/${n}`);
  }
  return out;
}

/** Whether a source reference `{kind, name, namespace?}` names a source in `defined` (see definedSources). */
export function sourceDefined(ref: unknown, owner: Obj, defined: ReadonlySet<string>): boolean {
  const k = str(get(ref, 'kind'));
  const n = str(get(ref, 'name'));
  if (!k || !n) return false;
  if (defined.has(`${k}//${n}`)) return true; // a source without a namespace gets it from an overlay
  const ns = str(get(ref, 'namespace')) ?? nsOf(owner);
  if (ns) return defined.has(`${k}/${ns}/${n}`);
  // Neither says its namespace here: any namespace may be the one an overlay sets.
  return [...defined].some((d) => {
    const [dk, , dn] = d.split('/');
    return dk === k && dn === n;
  });
}

/** How a source a Flux object names comes to exist. */
export type SourceOrigin =
  | { kind: 'defined' }
  | { kind: 'runtime'; why: string }
  | { kind: 'missing' };

export interface FluxModel {
  kustomizations: ManifestDoc[];
  helmReleases: ManifestDoc[];
  sources: ManifestDoc[];
  /** `Kind/namespace/name` of the sources defined in the repository. */
  defined: ReadonlySet<string>;
  /** `Kind/name` of sources created at run time, with who creates them. */
  runtime: ReadonlyMap<string, string>;
  /** `Kind/name` of GitRepositories defined here that are another repository (or another branch). */
  otherRepositories: ReadonlySet<string>;
}

/** Sources that controllers create from objects of the repository, not files of it. */
function runtimeSources(docs: readonly ManifestDoc[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const d of docs) {
    const o = d.object;
    if (kindOf(o) === 'FluxInstance') {
      const k = str(get(o, 'spec', 'sync', 'kind')) ?? 'GitRepository';
      out.set(`${k}/${str(get(o, 'spec', 'sync', 'name')) ?? BOOTSTRAP_SOURCE}`, `created by the Flux Operator's FluxInstance ${str(get(o, 'metadata', 'name')) ?? ''} (${d.file})`);
    }
    if (kindOf(o) === 'ArtifactGenerator') {
      for (const a of arr(get(o, 'spec', 'artifacts'))) {
        const n = str(get(a, 'name'));
        if (n) out.set(`ExternalArtifact/${n}`, `produced by the ArtifactGenerator ${str(get(o, 'metadata', 'name')) ?? ''} (${d.file})`);
      }
    }
  }
  return out;
}

/**
 * GitRepositories defined here that are not this working tree: not the bootstrap source, not one of
 * this repository's URLs, and no Kustomization of theirs names a folder that exists here (a source
 * of this repository under another name shows itself by its paths).
 */
function otherRepositories(sources: readonly ManifestDoc[], kustomizations: readonly ManifestDoc[], directories: ReadonlySet<string>, selfUrls: readonly string[]): Set<string> {
  const other = new Set<string>();
  const self = new Set(selfUrls.map(normaliseRepoUrl));
  for (const s of sources) {
    const n = str(get(s.object, 'metadata', 'name'));
    if (kindOf(s.object) !== 'GitRepository' || !n || n === BOOTSTRAP_SOURCE) continue;
    if (self.has(normaliseRepoUrl(str(get(s.object, 'spec', 'url')) ?? ''))) continue;
    const pathsHere = kustomizations.some((k) => str(get(k.object, 'spec', 'sourceRef', 'kind')) === 'GitRepository'
      && str(get(k.object, 'spec', 'sourceRef', 'name')) === n && directories.has(repoPath(str(get(k.object, 'spec', 'path')) ?? '..') ?? '..')
      && repoPath(str(get(k.object, 'spec', 'path')) ?? '..') !== '.');
    if (!pathsHere) other.add(`GitRepository/${n}`);
  }
  return other;
}

/** `https://github.com/a/b.git`, `git@github.com:a/b` and `https://github.com/a/b/` are one repository. */
export const normaliseRepoUrl = (u: string): string =>
  u.trim().toLowerCase().replace(/^git@([^:]+):/, 'https://$1/').replace(/^ssh:\/\/git@/, 'https://').replace(/\.git\/?$|\/$/g, '');

export function fluxModel(manifests: readonly ManifestDoc[], directories: ReadonlySet<string>, selfUrls: readonly string[] = []): FluxModel {
  const sources = manifests.filter((d) => isFluxSource(d.object));
  const kustomizations = manifests.filter((d) => isFluxKustomizationObject(d.object));
  const other = otherRepositories(sources, kustomizations, directories, selfUrls);
  return {
    kustomizations,
    helmReleases: manifests.filter((d) => isHelmRelease(d.object)),
    sources,
    defined: definedSources(sources.map((s) => s.object)),
    runtime: runtimeSources(manifests),
    otherRepositories: other,
  };
}

/** Where the source a Flux object names comes from. */
export function sourceOrigin(ref: unknown, owner: Obj, flux: Pick<FluxModel, 'defined' | 'runtime'>): SourceOrigin {
  if (sourceDefined(ref, owner, flux.defined)) return { kind: 'defined' };
  const k = str(get(ref, 'kind')) ?? '';
  const n = str(get(ref, 'name')) ?? '';
  const known = flux.runtime.get(`${k}/${n}`);
  if (known) return { kind: 'runtime', why: known };
  if (n === BOOTSTRAP_SOURCE && (k === 'GitRepository' || k === 'OCIRepository')) {
    return { kind: 'runtime', why: 'created by flux bootstrap (or the Flux Operator) for this repository' };
  }
  if (k === 'ExternalArtifact') return { kind: 'runtime', why: 'produced at run time by an ArtifactGenerator or another controller' };
  return { kind: 'missing' };
}

/**
 * An artifact's path (an OCIRepository or ExternalArtifact made from a folder of this repository, as
 * `flux push artifact --path=./kubernetes` does) as a folder here: the path under the nearest folder
 * above `file`, the Kustomization naming it, that has it. Undefined when none does (another artifact).
 */
export function artifactFolder(paths: readonly string[], path: string, file: string): string | undefined {
  if (path === '.') return undefined;
  for (let root = posix.dirname(file); ; root = posix.dirname(root)) {
    const dir = root === '.' ? path : `${root}/${path}`;
    if (paths.some((f) => f.startsWith(`${dir}/`))) return dir;
    if (root === '.') return undefined;
  }
}

/** Why a Flux Kustomization's spec.path is not a folder of this working tree, if it is not. */
export function pathElsewhere(o: Obj, flux: Pick<FluxModel, 'otherRepositories'>): string | undefined {
  const k = str(get(o, 'spec', 'sourceRef', 'kind')) ?? '';
  const n = str(get(o, 'spec', 'sourceRef', 'name')) ?? '';
  if (ARTIFACT_SOURCES.has(k)) return `path is inside the artifact of ${k}/${n}`;
  if (flux.otherRepositories.has(`${k}/${n}`)) return `path is in ${k}/${n}, another repository or branch`;
  return undefined;
}
