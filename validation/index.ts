// The validation engine: discovery, then every validator on every (affected) target in a bounded
// parallel pool, results cached by content hash, compliance on the rendered output. Used by the
// workflow's activities (incremental, on the files a run changed) and by `infra-implementor check`.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { mergeByLocation, selectChecks, type CheckContext, type RenderedDoc } from '../core/compliance';
import { buildRepoModel, repoPath, type RepoModel } from '../core/repo-model';
import { effectiveKustomizations } from '../core/repo-model/flux-parents';
import type { Finding, ValidationResult } from '../core/schemas';
import { get, isYamlFile, str, type ManifestDoc } from '../core/yaml-docs';
import { fetchSettings, type FetchOptions } from './fetch-cache';
import { remoteUrls } from './remotes';
import { affectedTargets, discover, strictSubstitution, type Target } from './discovery';
import { validateFlux } from './flux-validator';
import { dryRun, findCluster } from './kubectl-validator';
import { defaultPoolSize, mapPool } from './pool';
import { kubeVersionOf, render, type RenderOptions, type Rendering } from './render';
export { DEFAULT_KUBE_VERSION, KUBE_VERSION } from './render';
import { readSnapshot } from './snapshot';
import { splitDeployed } from './deployed';
import { indexByKind } from './source-map';
import { validateTarget } from './targets';
import { toolbox } from './tools';
import { validateYaml } from './yaml-validator';
import { DEFAULT_PRODUCTION_PATTERN } from '../core/compliance/types';
import { DEFAULT_FLUX_VERSION } from '../core/compliance/removed-api-version';

export { clearValidationCache } from './cache';

/** Overlays whose path has a segment `prod` or `production` count as production. */
export { DEFAULT_PRODUCTION_PATTERN } from '../core/compliance/types';

export interface ValidateOptions {
  root: string;
  /** Incremental mode: validate only what these files (relative to root) affect. */
  changedFiles?: string[];
  productionPattern?: RegExp;
  signal?: AbortSignal;
  /** Called as work completes: activities heartbeat from here. */
  onProgress?: () => void;
  /** Called for each target actually rebuilt (not served from the cache). */
  onBuild?: (target: string, kind: Target['kind']) => void;
  poolSize?: number;
  /** Kubernetes version charts are rendered for (helm --kube-version); default DEFAULT_KUBE_VERSION. */
  kubeVersion?: string;
  /** Flux minor version the cluster runs (`2.9`): which Flux APIs are removed, whether substitution is strict; default DEFAULT_FLUX_VERSION. */
  fluxVersion?: string;
  /** Cache dir, chart dir and offline mode for what Flux would fetch (default: the environment's). */
  fetch?: FetchOptions;
  /** Ids of the compliance checks to run (default: all registered); an unknown id throws UnknownCheckError. */
  checks?: readonly string[];
  /** Sees the rendered documents the checks judge and their context, per target judged (the linters bench feeds them to kube-score and checkov). */
  onRendered?: (target: string, docs: readonly RenderedDoc[], checkCtx: CheckContext) => void;
}

export interface ValidationReport {
  validations: ValidationResult[];
  findings: Finding[];
}

/** The repository folder does not exist or is not a folder: bad input, not a failed validation. */
export class RepositoryNotFoundError extends Error {
  override name = 'RepositoryNotFoundError';
}

async function realFolder(root: string): Promise<string> {
  const st = await fs.stat(root).catch(() => undefined);
  if (!st?.isDirectory()) throw new RepositoryNotFoundError(`${root} is not a folder`);
  return fs.realpath(root);
}

/** Flux objects worth checking: all of them, or in incremental mode those the change touches. */
function fluxDocsFor(model: RepoModel, selected: readonly Target[], changed?: ReadonlySet<string>): ManifestDoc[] {
  const flux = [...model.flux.kustomizations, ...model.flux.helmReleases].sort((a, b) => a.file.localeCompare(b.file) || a.index - b.index);
  if (!changed) return flux;
  const files = new Set([...changed, ...selected.flatMap((t) => t.inputs)]);
  const ids = new Set(selected.map((t) => t.id));
  return flux.filter((d) => files.has(d.file) || ids.has(repoPath(str(get(d.object, 'spec', 'path')) ?? '') ?? ''));
}

const ORDER = ['yaml', 'kustomize', 'helm', 'schema', 'flux', 'kubectl'];
const byTarget = (a: ValidationResult, b: ValidationResult) =>
  a.target.localeCompare(b.target) || ORDER.indexOf(a.validator) - ORDER.indexOf(b.validator);

export async function validateRepository(opts: ValidateOptions): Promise<ValidationReport> {
  const checks = opts.checks ? selectChecks(opts.checks) : undefined;
  const root = await realFolder(opts.root);
  const snap = await readSnapshot(root);
  const model = buildRepoModel({ paths: snap.files, text: snap.text, selfUrls: await remoteUrls(root) });
  const fluxVersion = opts.fluxVersion ?? DEFAULT_FLUX_VERSION;
  const { roots, targets: all, sourceDocs } = discover(model, fluxVersion);
  const { deployed: targets, notDeployed } = splitDeployed(model, all);
  const changed = opts.changedFiles ? new Set(opts.changedFiles.map((f) => path.posix.normalize(f.split(path.sep).join('/')))) : undefined;
  const selected = changed ? affectedTargets(targets, [...changed]) : targets;
  const tools = await toolbox();

  const yamlFiles = changed ? [...new Set([...changed, ...selected.flatMap((t) => t.inputs)])].filter((f) => isYamlFile(f)) : snap.files;
  const yaml = validateYaml(snap, yamlFiles, [...new Set(targets.flatMap((t) => t.chart ?? []))]);

  const renderOpts: RenderOptions = {
    snap, tools, kubeVersion: kubeVersionOf(opts), fluxVersion, fetch: fetchSettings(opts.fetch), ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.onBuild ? { onBuild: opts.onBuild } : {}),
  };
  const renderings = await mapPool(selected, opts.poolSize ?? defaultPoolSize(), (t) => render(t, renderOpts),
    { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.onProgress ? { onDone: opts.onProgress } : {}) });

  const ctx = {
    snap, sources: sourceDocs, index: indexByKind(sourceDocs),
    productionPattern: opts.productionPattern ?? DEFAULT_PRODUCTION_PATTERN,
    model, kubeVersion: kubeVersionOf(opts), render: renderOpts,
    ...(checks ? { checks } : {}), ...(opts.onRendered ? { onRendered: opts.onRendered } : {}),
  };
  const validations: ValidationResult[] = [...yaml, ...(changed ? [] : notDeployed)];
  const findings: Finding[] = [];
  const builds = new Map<string, Rendering>();
  for (const [i, t] of selected.entries()) {
    const r = renderings[i] as Rendering;
    if (t.kind === 'kustomize') builds.set(t.id, r);
    const res = await validateTarget(t, r, ctx);
    validations.push(...res.validations);
    findings.push(...res.findings);
    opts.onProgress?.();
  }

  const deployedFiles = new Set(targets.flatMap((t) => t.inputs));
  const fluxDocs = fluxDocsFor(model, selected, changed).filter((d) => !notDeployed.length || deployedFiles.has(d.file));
  const strict = strictSubstitution(model, fluxVersion);
  validations.push(...validateFlux(fluxDocs, {
    snap, manifests: model.manifests, strict, effective: effectiveKustomizations(model, strict), flux: model.flux, builds, kustomizationDirs: new Set(roots.keys()),
    yaml: new Map(yaml.map((y) => [y.target, y])),
  }));
  // Offline touches no network, a cluster's API server included.
  if (renderOpts.fetch?.offline) validations.push({ validator: 'kubectl', target: '.', status: 'skipped', message: 'server-side dry run: --offline (no cluster is contacted)' });
  else validations.push(...await kubectlResults(selected, renderings, snap.text, tools, opts.signal));
  return { validations: validations.sort(byTarget), findings: mergeByLocation(findings) };
}

async function kubectlResults(
  selected: readonly Target[], renderings: readonly Rendering[], text: (f: string) => string | undefined,
  tools: Awaited<ReturnType<typeof toolbox>>, signal?: AbortSignal,
): Promise<ValidationResult[]> {
  const cluster = await findCluster(tools);
  // Without a cluster one line says so for the whole run, instead of one `skipped` per target.
  if (!cluster.reachable) return [{ validator: 'kubectl', target: '.', status: 'skipped', message: `server-side dry run: ${cluster.reason}` }];
  const out: ValidationResult[] = [];
  for (const [i, t] of selected.entries()) {
    const r = renderings[i];
    const manifests = t.kind === 'plain' ? t.inputs.map((f) => text(f) ?? '').join('\n---\n') : r?.status === 'ok' ? r.text : '';
    out.push(await dryRun(t.id, manifests, cluster, signal));
  }
  return out;
}
