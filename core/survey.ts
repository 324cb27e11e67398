// Survey of an infrastructure repository into a PatternProfile: where services live, how they are
// labelled, sized and probed, which overlays include them and which Flux objects deploy them.
// Pure over the repository's text files, so it is unit-tested without disk or Temporal.
import { posix } from 'node:path';
import type { PatternProfile, ProbeStyle } from './patterns';
import { buildRepoModel, environmentOf, localRefs, type KustomizationNode, type RepoModel } from './repo-model';
import { arr, get, isKustomizeConfig, kindOf, nameOf, rec, str } from './yaml-docs';

export { environmentOf, environmentWord, tokenRegExp } from './repo-model';

export interface RepoFile {
  path: string;
  content: string;
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

function mostCommon<T>(values: T[], key: (v: T) => string = (v) => JSON.stringify(v)): T | undefined {
  const counts = new Map<string, { v: T; n: number }>();
  for (const v of values) {
    const k = key(v);
    const c = counts.get(k);
    if (c) c.n++;
    else counts.set(k, { v, n: 1 });
  }
  let best: { v: T; n: number } | undefined;
  for (const c of counts.values()) if (!best || c.n > best.n) best = c;
  return best?.v;
}

function probeStyle(probe: unknown): ProbeStyle | undefined {
  const p = rec(probe);
  if (!p) return undefined;
  const http = rec(p.httpGet);
  const style: ProbeStyle = {};
  if (http && typeof http.path === 'string') style.path = http.path;
  const port = http?.port ?? get(p, 'tcpSocket', 'port');
  if (typeof port === 'string' || typeof port === 'number') style.port = port;
  if (typeof p.initialDelaySeconds === 'number') style.initialDelaySeconds = p.initialDelaySeconds;
  if (typeof p.periodSeconds === 'number') style.periodSeconds = p.periodSeconds;
  return style;
}

/** The survey from files (tests, callers without a model). */
export function surveyRepository(files: RepoFile[]): PatternProfile {
  const texts = new Map(files.map((f) => [f.path, f.content]));
  return profileOf(buildRepoModel({ paths: files.map((f) => f.path), text: (p) => texts.get(p) }));
}

export function profileOf(model: RepoModel): PatternProfile {
  const { docs, services } = model;
  const roots = [...model.kustomize.values()];
  const kinds: Record<string, string[]> = {};
  for (const d of docs) {
    const k = kindOf(d.object);
    if (!k || isKustomizeConfig(d.object)) continue;
    const list = (kinds[k] ??= []);
    if (!list.includes(d.file)) list.push(d.file);
  }

  const workloads = docs.filter((d) => WORKLOAD_KINDS.has(kindOf(d.object)));
  const resources: NonNullable<PatternProfile['resources']>[] = [];
  const liveness: ProbeStyle[] = [];
  const readiness: ProbeStyle[] = [];
  const replicasByEnv: Record<string, number[]> = {};
  const namespaces = new Set<string>();
  let kindNamed = 0;
  let nameKindNamed = 0;

  for (const w of workloads) {
    const ns = str(get(w.object, 'metadata', 'namespace'));
    if (ns) namespaces.add(ns);
    for (const c of arr(get(w.object, 'spec', 'template', 'spec', 'containers'))) {
      const r = rec(get(c, 'resources'));
      if (r) resources.push({ requests: rec(r.requests) as Record<string, string>, limits: rec(r.limits) as Record<string, string> });
      const l = probeStyle(get(c, 'livenessProbe'));
      if (l) liveness.push(l);
      const rd = probeStyle(get(c, 'readinessProbe'));
      if (rd) readiness.push(rd);
    }
    const base = posix.basename(w.file).replace(/\.ya?ml$/, '');
    const name = nameOf(w.object);
    if (base === kindOf(w.object).toLowerCase()) kindNamed++;
    else if (name && base.startsWith(`${name}-`)) nameKindNamed++;
  }
  // Replica counts per environment: from overlay patches naming the service, else the base.
  for (const s of services.filter((x) => !x.helmRelease)) {
    const w = docs.find((d) => d.file === s.deploymentFile && kindOf(d.object) === 'Deployment' && nameOf(d.object) === s.name);
    for (const o of s.overlays) {
      const count = replicasInOverlay(model.kustomize.get(o.dir), s.name);
      const n = count ?? (typeof get(w?.object, 'spec', 'replicas') === 'number' ? (get(w?.object, 'spec', 'replicas') as number) : undefined);
      if (n !== undefined) (replicasByEnv[o.env] ??= []).push(n);
    }
  }

  const environments: Record<string, string[]> = {};
  for (const r of roots) {
    const env = environmentOf(r.dir);
    if (env && localRefs(r).some((ref) => !ref.startsWith(r.dir + '/'))) (environments[env] ??= []).push(r.dir);
  }

  const replicas: Record<string, number> = {};
  for (const [env, counts] of Object.entries(replicasByEnv)) {
    const c = mostCommon(counts);
    if (c !== undefined) replicas[env] = c;
  }

  const profile: PatternProfile = {
    kustomizationDirs: roots.map((r) => r.dir).sort(),
    environments,
    kinds,
    labelConvention: model.labels.style,
    labelKeys: model.labels.keys,
    labelGroups: model.labels.groups,
    replicas,
    namespaces: [...namespaces].sort(),
    fileNaming: kindNamed === 0 && nameKindNamed === 0 ? 'unknown' : kindNamed >= nameKindNamed ? 'kind' : 'name-kind',
    services,
    flux: {
      kustomizations: model.flux.kustomizations.map((k) => ({
        name: nameOf(k.object),
        file: k.file,
        path: str(get(k.object, 'spec', 'path')) ?? '',
        ...(str(get(k.object, 'spec', 'sourceRef', 'name')) ? { sourceRef: `${str(get(k.object, 'spec', 'sourceRef', 'kind'))}/${str(get(k.object, 'spec', 'sourceRef', 'name'))}` } : {}),
      })),
      helmReleases: model.helm.releases.map((r) => ({
        name: r.name, file: r.doc.file, ...(r.chart ? { chart: r.chart } : {}), ...(r.sourceRef ? { sourceRef: r.sourceRef } : {}),
      })),
      sources: model.flux.sources.map((d) => ({ kind: kindOf(d.object), name: nameOf(d.object), file: d.file })),
    },
    helmCharts: model.helm.charts,
    sops: model.sops,
    notes: [],
  };
  const res = mostCommon(resources);
  if (res) profile.resources = res;
  const lp = mostCommon(liveness);
  if (lp) profile.livenessProbe = lp;
  const rp = mostCommon(readiness);
  if (rp) profile.readinessProbe = rp;
  profile.notes = describe(profile, model.exemplar?.name);
  return profile;
}

/** Replica count an overlay sets for `name`, through `replicas:` or an inline/JSON patch. */
function replicasInOverlay(root: KustomizationNode | undefined, name: string): number | undefined {
  const k = root?.object;
  if (!k) return undefined;
  for (const r of arr(k.replicas)) if (get(r, 'name') === name && typeof get(r, 'count') === 'number') return get(r, 'count') as number;
  for (const p of arr(k.patches)) {
    if (get(p, 'target', 'name') !== name) continue;
    const m = /\/spec\/replicas\s*\n\s*value:\s*(\d+)/.exec(str(get(p, 'patch')) ?? '') ?? /replicas:\s*(\d+)/.exec(str(get(p, 'patch')) ?? '');
    if (m?.[1]) return Number(m[1]);
  }
  return undefined;
}

function describe(p: PatternProfile, exemplarName?: string): string[] {
  const notes: string[] = [];
  const s = p.services.find((x) => x.name === exemplarName) ?? p.services[0];
  if (s) {
    notes.push(`services live like ${s.name}: base in ${s.baseDir}, overlays ${s.overlays.map((o) => `${o.dir}${o.shared ? ' (shared)' : ''}`).join(', ') || 'none'}`);
    if (s.fluxFiles.length) notes.push(`each service has its own Flux Kustomization (${s.fluxFiles.join(', ')})`);
  } else {
    notes.push('no existing service to learn from');
  }
  if (p.labelConvention !== 'none') notes.push(`label convention: ${p.labelConvention} (keys: ${p.labelKeys.join(', ')})`);
  if (p.resources) notes.push(`typical resources: ${JSON.stringify(p.resources)}`);
  if (p.livenessProbe?.path) notes.push(`liveness probe path ${p.livenessProbe.path}, readiness ${p.readinessProbe?.path ?? 'none'}`);
  if (Object.keys(p.replicas).length) notes.push(`replicas per environment: ${JSON.stringify(p.replicas)}`);
  if (p.sops) notes.push('Secrets are SOPS-encrypted in this repository');
  return notes;
}
