// Survey of an infrastructure repository into a PatternProfile: where services live, how they are
// labelled, sized and probed, which overlays include them and which Flux objects deploy them.
// Pure over the repository's text files, so it is unit-tested without disk or Temporal.
import { posix } from 'node:path';
import type { PatternProfile, ProbeStyle, ServiceLayout } from './patterns';
import {
  arr, get, isFluxKustomization, isKustomizeConfig, isYamlFile, kindOf, nameOf, parseManifests, rec, str,
  type ManifestDoc,
} from './yaml-docs';

export interface RepoFile {
  path: string;
  content: string;
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);
const ENV_WORDS: Record<string, string> = {
  dev: 'dev', development: 'development', test: 'test', qa: 'qa', stage: 'staging', staging: 'staging',
  preprod: 'preprod', prod: 'production', production: 'production', sandbox: 'sandbox',
};

/** Environment named by a folder path (`apps/staging`, `overlays/prod`), if any. */
export function environmentOf(dir: string): string | undefined {
  return environmentWord(dir)?.env;
}

/** The folder segment naming an environment, and the environment it means. */
export function environmentWord(dir: string): { env: string; name: string } | undefined {
  for (const s of dir.split('/').reverse()) {
    const env = ENV_WORDS[s.toLowerCase()];
    if (env) return { env, name: s };
  }
  return undefined;
}

/** `name` as a whole token of `text` (bounded by non-alphanumerics). */
export function tokenRegExp(name: string, flags = 'g'): RegExp {
  return new RegExp(`(?<![A-Za-z0-9])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9])`, flags);
}

interface KustomizationRoot {
  dir: string;
  file: string;
  /** Folders (other roots) and files this root's build reads directly. */
  refs: string[];
}

export function kustomizationRefs(dir: string, object: Record<string, unknown>): string[] {
  const refs: string[] = [];
  const add = (v: unknown) => {
    const s = str(v);
    if (s && !/^[a-z]+:\/\//i.test(s) && !s.startsWith('github.com/')) refs.push(posix.normalize(posix.join(dir, s)));
  };
  for (const key of ['resources', 'bases', 'components', 'patchesStrategicMerge', 'crds']) arr(object[key]).forEach(add);
  for (const p of arr(object.patches)) add(get(p, 'path'));
  for (const p of arr(object.patchesJson6902)) add(get(p, 'path'));
  for (const key of ['configMapGenerator', 'secretGenerator']) {
    for (const g of arr(object[key])) {
      for (const f of arr(get(g, 'files'))) add(String(f).split('=').pop());
      for (const f of arr(get(g, 'envs'))) add(f);
    }
  }
  return refs;
}

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

export function surveyRepository(files: RepoFile[]): PatternProfile {
  const docs: ManifestDoc[] = [];
  const roots: KustomizationRoot[] = [];
  const allPaths = new Set(files.map((f) => f.path));
  let sops = allPaths.has('.sops.yaml');
  for (const f of files.filter((x) => isYamlFile(x.path))) {
    const parsed = parseManifests(f.path, f.content);
    docs.push(...parsed.docs);
    const base = posix.basename(f.path);
    if (base === 'kustomization.yaml' || base === 'kustomization.yml' || base === 'Kustomization') {
      const obj = parsed.docs[0]?.object ?? {};
      const dir = posix.dirname(f.path);
      roots.push({ dir, file: f.path, refs: kustomizationRefs(dir, obj) });
    }
  }

  const kinds: Record<string, string[]> = {};
  for (const d of docs) {
    const k = kindOf(d.object);
    if (!k || isKustomizeConfig(d.object)) continue;
    const list = (kinds[k] ??= []);
    if (!list.includes(d.file)) list.push(d.file);
    if (k === 'Secret' && (d.object.sops !== undefined || /ENC\[/.test(JSON.stringify(d.object)))) sops = true;
  }

  // Which roots include a given folder or file, transitively.
  const includers = (target: string): KustomizationRoot[] => {
    const out = new Set<KustomizationRoot>();
    const queue = [target];
    while (queue.length) {
      const t = queue.shift() as string;
      for (const r of roots) {
        if (!out.has(r) && r.refs.includes(t)) {
          out.add(r);
          queue.push(r.dir);
        }
      }
    }
    return [...out];
  };

  const workloads = docs.filter((d) => WORKLOAD_KINDS.has(kindOf(d.object)));
  const fluxKs = docs.filter((d) => isFluxKustomization(d.object));
  const labelKeyCounts = new Map<string, number>();
  let appIo = 0;
  let appPlain = 0;
  const resources: NonNullable<PatternProfile['resources']>[] = [];
  const liveness: ProbeStyle[] = [];
  const readiness: ProbeStyle[] = [];
  const replicasByEnv: Record<string, number[]> = {};
  const namespaces = new Set<string>();
  const services: ServiceLayout[] = [];
  let kindNamed = 0;
  let nameKindNamed = 0;

  for (const w of workloads) {
    const labels = rec(get(w.object, 'spec', 'template', 'metadata', 'labels')) ?? rec(get(w.object, 'metadata', 'labels')) ?? {};
    for (const k of Object.keys(labels)) labelKeyCounts.set(k, (labelKeyCounts.get(k) ?? 0) + 1);
    if ('app.kubernetes.io/name' in labels) appIo++;
    else if ('app' in labels) appPlain++;
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

    if (kindOf(w.object) !== 'Deployment' || !name) continue;
    // The base is the Deployment's folder: the kustomization listing it, or the plain folder.
    const baseDir = posix.dirname(w.file);
    const token = tokenRegExp(name, '');
    const ownFiles = files.map((f) => f.path).filter((p) => token.test(p));
    const overlays = includers(baseDir)
      .map((r) => ({ dir: r.dir, env: environmentOf(r.dir) ?? '', name: environmentWord(r.dir)?.name ?? '', shared: !token.test(r.dir) }))
      .filter((o) => o.env !== '')
      .sort((a, b) => a.dir.localeCompare(b.dir));
    const serviceDirs = new Set([baseDir, ...overlays.map((o) => o.dir)]);
    const fluxFiles = fluxKs
      .filter((k) => {
        const p = posix.normalize(str(get(k.object, 'spec', 'path')) ?? '.');
        return serviceDirs.has(p.replace(/^\.\//, '')) && token.test(k.file);
      })
      .map((k) => k.file);
    services.push({ name, deploymentFile: w.file, baseDir, ownFiles, overlays, fluxFiles: [...new Set(fluxFiles)] });

    // Replica counts per environment: from overlay patches naming the service, else the base.
    for (const o of overlays) {
      const count = replicasInOverlay(roots.find((r) => r.dir === o.dir), docs, name);
      const n = count ?? (typeof get(w.object, 'spec', 'replicas') === 'number' ? (get(w.object, 'spec', 'replicas') as number) : undefined);
      if (n !== undefined) (replicasByEnv[o.env] ??= []).push(n);
    }
  }

  const environments: Record<string, string[]> = {};
  for (const r of roots) {
    const env = environmentOf(r.dir);
    if (env && r.refs.some((ref) => !ref.startsWith(r.dir + '/'))) (environments[env] ??= []).push(r.dir);
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
    labelConvention: appIo === 0 && appPlain === 0 ? 'none' : appIo >= appPlain ? 'app.kubernetes.io' : 'app',
    labelKeys: [...labelKeyCounts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k]) => k),
    replicas,
    namespaces: [...namespaces].sort(),
    fileNaming: kindNamed === 0 && nameKindNamed === 0 ? 'unknown' : kindNamed >= nameKindNamed ? 'kind' : 'name-kind',
    services: services.sort((a, b) => a.name.localeCompare(b.name)),
    flux: {
      kustomizations: fluxKs.map((k) => ({
        name: nameOf(k.object),
        file: k.file,
        path: str(get(k.object, 'spec', 'path')) ?? '',
        ...(str(get(k.object, 'spec', 'sourceRef', 'name')) ? { sourceRef: `${str(get(k.object, 'spec', 'sourceRef', 'kind'))}/${str(get(k.object, 'spec', 'sourceRef', 'name'))}` } : {}),
      })),
      helmReleases: docs
        .filter((d) => kindOf(d.object) === 'HelmRelease')
        .map((d) => ({
          name: nameOf(d.object),
          file: d.file,
          ...(str(get(d.object, 'spec', 'chart', 'spec', 'chart')) ? { chart: str(get(d.object, 'spec', 'chart', 'spec', 'chart')) as string } : {}),
          ...(str(get(d.object, 'spec', 'chart', 'spec', 'sourceRef', 'name')) ? { sourceRef: `${str(get(d.object, 'spec', 'chart', 'spec', 'sourceRef', 'kind'))}/${str(get(d.object, 'spec', 'chart', 'spec', 'sourceRef', 'name'))}` } : {}),
        })),
      sources: docs
        .filter((d) => /^source\.toolkit\.fluxcd\.io\//.test(str(d.object.apiVersion) ?? ''))
        .map((d) => ({ kind: kindOf(d.object), name: nameOf(d.object), file: d.file })),
    },
    helmCharts: files.filter((f) => posix.basename(f.path) === 'Chart.yaml').map((f) => posix.dirname(f.path)).sort(),
    sops,
    notes: [],
  };
  const res = mostCommon(resources);
  if (res) profile.resources = res;
  const lp = mostCommon(liveness);
  if (lp) profile.livenessProbe = lp;
  const rp = mostCommon(readiness);
  if (rp) profile.readinessProbe = rp;
  profile.notes = describe(profile);
  return profile;
}

/** Replica count an overlay sets for `name`, through `replicas:` or an inline/JSON patch. */
function replicasInOverlay(root: KustomizationRoot | undefined, docs: ManifestDoc[], name: string): number | undefined {
  if (!root) return undefined;
  const k = docs.find((d) => d.file === root.file)?.object;
  if (!k) return undefined;
  for (const r of arr(k.replicas)) if (get(r, 'name') === name && typeof get(r, 'count') === 'number') return get(r, 'count') as number;
  for (const p of arr(k.patches)) {
    if (get(p, 'target', 'name') !== name) continue;
    const m = /\/spec\/replicas\s*\n\s*value:\s*(\d+)/.exec(str(get(p, 'patch')) ?? '') ?? /replicas:\s*(\d+)/.exec(str(get(p, 'patch')) ?? '');
    if (m?.[1]) return Number(m[1]);
  }
  return undefined;
}

function describe(p: PatternProfile): string[] {
  const notes: string[] = [];
  const s = p.services[0];
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
