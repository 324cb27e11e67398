// What a production workload with several replicas needs beyond its manifests, so the scaffold's
// output stays clean by missing-pod-disruption-budget and missing-anti-affinity: its pods spread over
// nodes and a PodDisruptionBudget. Both mirror the exemplar when it has them, else a small default
// marked REVIEW. Also the TLS of an Ingress served in production (ingress-missing-tls).
import { posix } from 'node:path';
import { DEFAULT_PRODUCTION_PATTERN } from '../compliance/types';
import type { PatternProfile } from '../patterns';
import { arr, get, kindOf, parseManifests, rec } from '../yaml-docs';
import { includeInKustomization, type Layout, type Obj, type PlanBuilder } from './builder';
import { renameInYaml, renderManifest } from './edits';
import { replicasIn } from './environments';
import { renameValues, selectorLabels } from './objects';

type Profile = Pick<PatternProfile, 'environments' | 'replicas'>;

/** The overlay folders an environment of the new service is rendered in: the exemplar's, else the repository's. */
function overlayDirs(l: Layout, profile: Profile, env: string): string[] {
  const own = (l.exemplar?.overlays ?? []).filter((o) => o.env === env || o.name === env).map((o) => o.dir);
  // An environment the spec creates gets an overlay folder named after it.
  return own.length ? own : profile.environments[env] ?? (l.newEnvironments.includes(env) ? [env] : []);
}

const production = (l: Layout, profile: Profile): string[] =>
  l.environments.filter((e) => overlayDirs(l, profile, e).some((d) => DEFAULT_PRODUCTION_PATTERN.test(d)));

/** Whether the new service is rendered in an overlay `check` judges as production. */
export const servedInProduction = (l: Layout, profile: Profile): boolean => production(l, profile).length > 0;

/**
 * Whether it runs more than one replica there: the spec's count, else what services of that
 * environment usually run (an overlay patch of the exemplar is cloned with its count).
 */
export const severalInProduction = (l: Layout, profile: Profile): boolean =>
  production(l, profile).some((e) => (replicasIn(l.spec, e) ?? profile.replicas[e] ?? 0) > 1);

/** The exemplar's PodDisruptionBudget file, if it has one. */
async function exemplarBudget(b: PlanBuilder, l: Layout): Promise<string | undefined> {
  for (const f of l.exemplar?.ownFiles ?? []) {
    if (!/\.ya?ml$/.test(f)) continue;
    const docs = parseManifests(f, (await b.read(f)) ?? '').docs;
    if (docs.some((d) => kindOf(d.object) === 'PodDisruptionBudget')) return f;
  }
  return undefined;
}

/**
 * Spreads the new Deployment's pods over nodes, in place: the exemplar's spread (copied with the pod
 * spec) renamed to select the new pods, or, with `addDefault`, a hostname spread that never blocks
 * scheduling. Returns a review line when it added the default.
 */
export function spreadPods(deployment: Obj, exemplarName: string | undefined, service: string, addDefault: boolean): string | undefined {
  const pod = rec(get(deployment, 'spec', 'template', 'spec'));
  if (!pod) return undefined;
  const labels = (rec(get(deployment, 'spec', 'template', 'metadata', 'labels')) ?? {}) as Record<string, string>;
  const anti = rec(get(pod, 'affinity', 'podAntiAffinity'));
  if (arr(pod.topologySpreadConstraints).length || anti) {
    if (exemplarName) {
      if (pod.topologySpreadConstraints) pod.topologySpreadConstraints = renameValues(pod.topologySpreadConstraints, exemplarName, service);
      if (pod.affinity) pod.affinity = renameValues(pod.affinity, exemplarName, service);
    }
    return undefined;
  }
  if (!addDefault) return undefined;
  pod.topologySpreadConstraints = [{
    maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway',
    labelSelector: { matchLabels: selectorLabels(labels, service) },
  }];
  return 'replicas spread over nodes (topologySpreadConstraints by hostname, ScheduleAnyway): add topology.kubernetes.io/zone on a multi-zone cluster';
}

/**
 * A PodDisruptionBudget for the new service in its base: the exemplar's renamed when it has one, else
 * `maxUnavailable: 1` (safe at any replica count: it never blocks a drain).
 */
export async function planBudget(b: PlanBuilder, l: Layout, profile: Profile, podLabels: Record<string, string>): Promise<void> {
  const { spec, exemplar: ex } = l;
  const mirrored = await exemplarBudget(b, l);
  if (!mirrored && !severalInProduction(l, profile)) return;
  if (mirrored && ex) {
    const target = l.mapPath(mirrored);
    b.write(target, renameInYaml(await b.mustRead(mirrored), ex.name, spec.service), `PodDisruptionBudget of ${spec.service}, as ${ex.name}'s`);
    await includeInKustomization(b, posix.dirname(target), target, `list the PodDisruptionBudget of ${spec.service}`);
    return;
  }
  const file = l.fileFor('pdb');
  const pdb = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: spec.service, labels: { ...podLabels } },
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(podLabels, spec.service) } },
  };
  const why = `${spec.service} runs several replicas in production: a PodDisruptionBudget (maxUnavailable: 1) keeps a node drain from evicting them all`;
  b.write(file, renderManifest([pdb], [why]), `PodDisruptionBudget of ${spec.service}`);
  b.assume(why, file);
  await includeInKustomization(b, l.baseDir, file, `list the PodDisruptionBudget of ${spec.service}`);
}

/** The `tls` of a sibling Ingress (its secretName renamed) or a default one, and its annotations naming an issuer. */
export function ingressTls(host: string, service: string, sibling?: { object: Obj; name?: string }): { tls: Obj[]; annotations: Record<string, string>; review?: string } {
  const siblingTls = arr(get(sibling?.object, 'spec', 'tls'))[0];
  const annotations = Object.fromEntries(Object.entries(rec(get(sibling?.object, 'metadata', 'annotations')) ?? {})
    .filter(([k, v]) => typeof v === 'string' && /^cert-manager\.io\//.test(k))) as Record<string, string>;
  const secretName = typeof get(siblingTls, 'secretName') === 'string' && sibling?.name
    ? renameValues(get(siblingTls, 'secretName') as string, sibling.name, service)
    : `${service}-tls`;
  const tls = [{ hosts: [host], secretName }];
  if (siblingTls && Object.keys(annotations).length) return { tls, annotations };
  return { tls, annotations, review: `TLS certificate Secret ${secretName} for ${host} must exist (cert-manager or by hand): the Ingress is served in production` };
}
