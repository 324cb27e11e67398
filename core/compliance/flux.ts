// Flux object helpers shared by the gitops-path-missing check and the flux validator: which objects
// are Flux's, where their paths point, and whether the sources they name are defined.
import { posix } from 'node:path';
import { get, str } from '../yaml-docs';
import { kind, namespace } from './k8s';

const FLUX_KUSTOMIZE = /^kustomize\.toolkit\.fluxcd\.io\//;
const FLUX_HELM = /^helm\.toolkit\.fluxcd\.io\//;
/** Sources whose path is inside an artifact, not this repository: their paths cannot be checked here. */
export const ARTIFACT_SOURCES = new Set(['OCIRepository', 'Bucket', 'ExternalArtifact']);

export const isFluxKustomizationObject = (o: Record<string, unknown>): boolean =>
  kind(o) === 'Kustomization' && FLUX_KUSTOMIZE.test(str(o.apiVersion) ?? '');
export const isHelmRelease = (o: Record<string, unknown>): boolean => kind(o) === 'HelmRelease' && FLUX_HELM.test(str(o.apiVersion) ?? '');

/** The repository folder a Flux path names (`./apps/prod` → `apps/prod`), or undefined when it climbs out. */
export function repoPath(p: string): string | undefined {
  const norm = posix.normalize(p.replace(/^\/+/, '') || '.');
  return norm === '..' || norm.startsWith('../') ? undefined : norm.replace(/\/$/, '') || '.';
}

/** Whether a source reference `{kind, name, namespace?}` names a source in `defined` (see definedSources). */
export function sourceDefined(ref: unknown, owner: Record<string, unknown>, defined: ReadonlySet<string>): boolean {
  const k = str(get(ref, 'kind'));
  const n = str(get(ref, 'name'));
  if (!k || !n) return false;
  if (defined.has(`${k}//${n}`)) return true; // a source without a namespace gets it from an overlay
  const ns = str(get(ref, 'namespace')) ?? namespace(owner);
  if (ns) return defined.has(`${k}/${ns}/${n}`);
  // Neither says its namespace here: any namespace may be the one an overlay sets.
  return [...defined].some((d) => {
    const [dk, , dn] = d.split('/');
    return dk === k && dn === n;
  });
}

export const helmReleaseSource = (o: Record<string, unknown>): unknown =>
  get(o, 'spec', 'chartRef') ?? get(o, 'spec', 'chart', 'spec', 'sourceRef');

const SOURCE_GROUP = /^source\.toolkit\.fluxcd\.io\//;

/** `Kind/namespace/name` (namespace empty when unset) of every Flux source among `objects`. */
export function definedSources(objects: Iterable<Record<string, unknown>>): Set<string> {
  const out = new Set<string>();
  for (const o of objects) {
    if (!SOURCE_GROUP.test(str(o.apiVersion) ?? '')) continue;
    const n = str(get(o, 'metadata', 'name'));
    if (n) out.add(`${kind(o)}/${namespace(o) ?? ''}/${n}`);
  }
  return out;
}
