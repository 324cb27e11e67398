// The services of a repository — a Deployment, or a Flux HelmRelease, with the files that are its
// own, the overlays that include it and the Flux objects that deploy it — and the exemplar a new
// service should mirror.
import { posix } from 'node:path';
import type { ServiceLayout } from '../patterns';
import { get, kindOf, nameOf, str, type ManifestDoc } from '../yaml-docs';
import { includers, type KustomizeGraph } from './kustomize-graph';
import type { HelmModel } from './helm';

const ENV_WORDS: Record<string, string> = {
  dev: 'dev', development: 'development', test: 'test', qa: 'qa', stage: 'staging', staging: 'staging',
  preprod: 'preprod', prod: 'production', production: 'production', sandbox: 'sandbox',
};

/** The folder segment naming an environment, and the environment it means. */
export function environmentWord(dir: string): { env: string; name: string } | undefined {
  for (const s of dir.split('/').reverse()) {
    const env = ENV_WORDS[s.toLowerCase()];
    if (env) return { env, name: s };
  }
  return undefined;
}

/** Environment named by a folder path (`apps/staging`, `overlays/prod`), if any. */
export const environmentOf = (dir: string): string | undefined => environmentWord(dir)?.env;

/** `name` as a whole token of `text` (bounded by non-alphanumerics). */
export function tokenRegExp(name: string, flags = 'g'): RegExp {
  return new RegExp(`(?<![A-Za-z0-9])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9])`, flags);
}

interface ServiceInput {
  paths: readonly string[];
  graph: KustomizeGraph;
  fluxKustomizations: readonly ManifestDoc[];
  /** Flux sources, to tell one chart behind many per-release OCIRepositories. */
  sources: readonly ManifestDoc[];
}

/**
 * What chart a release installs, beyond the source's name: releases of an app-template chart often
 * have an OCIRepository each, all pointing at the same chart and tag.
 */
function chartIdentity(r: HelmModel['releases'][number], sources: readonly ManifestDoc[]): string {
  const [kind, name] = (r.sourceRef ?? '/').split('/');
  const src = kind === 'OCIRepository' ? sources.find((s) => kindOf(s.object) === kind && nameOf(s.object) === name) : undefined;
  if (src) return `oci|${str(get(src.object, 'spec', 'url')) ?? ''}|${JSON.stringify(get(src.object, 'spec', 'ref') ?? {})}`;
  return `${r.sourceRef ?? ''}|${r.chart ?? ''}`;
}

function layoutOf(doc: ManifestDoc, name: string, input: ServiceInput): ServiceLayout {
  const baseDir = posix.dirname(doc.file);
  const token = tokenRegExp(name, '');
  const ownFiles = input.paths.filter((p) => token.test(p));
  const overlays = includers(input.graph, baseDir)
    .map((r) => ({ dir: r.dir, env: environmentOf(r.dir) ?? '', name: environmentWord(r.dir)?.name ?? '', shared: !token.test(r.dir) }))
    .filter((o) => o.env !== '')
    .sort((a, b) => a.dir.localeCompare(b.dir));
  const serviceDirs = new Set([baseDir, ...overlays.map((o) => o.dir)]);
  const fluxFiles = input.fluxKustomizations
    .filter((k) => {
      const p = posix.normalize(str(get(k.object, 'spec', 'path')) ?? '.');
      return serviceDirs.has(p.replace(/^\.\//, '').replace(/\/$/, '')) && token.test(k.file);
    })
    .map((k) => k.file);
  return { name, deploymentFile: doc.file, baseDir, ownFiles, overlays, fluxFiles: [...new Set(fluxFiles)] };
}

/** Deployment services, then HelmRelease services (marked with their chart), by name. */
export function services(docs: readonly ManifestDoc[], helm: HelmModel, input: ServiceInput): ServiceLayout[] {
  const out: ServiceLayout[] = [];
  for (const w of docs) {
    const name = nameOf(w.object);
    if (kindOf(w.object) === 'Deployment' && name) out.push(layoutOf(w, name, input));
  }
  // A chart several releases share (e.g. an app-template) is how this repository writes services.
  const chartUse = new Map<string, number>();
  const chartKey = (r: HelmModel['releases'][number]) => chartIdentity(r, input.sources);
  for (const r of helm.releases) chartUse.set(chartKey(r), (chartUse.get(chartKey(r)) ?? 0) + 1);
  for (const r of helm.releases) {
    if (!r.name) continue;
    out.push({
      ...layoutOf(r.doc, r.name, input),
      helmRelease: {
        file: r.doc.file,
        ...(r.chart ? { chart: r.chart } : {}),
        ...(r.sourceRef ? { sourceRef: r.sourceRef } : {}),
        sharedChart: (chartUse.get(chartKey(r)) ?? 0) > 1,
        releasesOfChart: chartUse.get(chartKey(r)) ?? 1,
      },
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name) || Number(Boolean(a.helmRelease)) - Number(Boolean(b.helmRelease)));
}

/**
 * The service whose layout a new one mirrors: of the kind most services are (Deployment on a tie),
 * the one with the most overlays, then by name.
 */
export function chooseExemplar(all: readonly ServiceLayout[]): ServiceLayout | undefined {
  const releases = all.filter((s) => s.helmRelease);
  const deployments = all.filter((s) => !s.helmRelease);
  if (releases.length > deployments.length) {
    // Releases of the shared chart are how this repository writes a service; the plainest one reads best.
    // A file path naming the service is what lets its layout be mirrored under another name.
    const named = (s: ServiceLayout) => Number(tokenRegExp(s.name, '').test(s.deploymentFile));
    return [...releases].sort((a, b) => named(b) - named(a) || (b.helmRelease?.releasesOfChart ?? 1) - (a.helmRelease?.releasesOfChart ?? 1)
      || b.overlays.length - a.overlays.length || a.ownFiles.length - b.ownFiles.length || a.name.localeCompare(b.name))[0];
  }
  return [...deployments].sort((a, b) => b.overlays.length - a.overlays.length || a.name.localeCompare(b.name))[0];
}
