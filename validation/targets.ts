// Validating one target: its rendering becomes kustomize / helm results, its documents are checked
// against the schemas (cached by content) and the compliance checklist.
import { runCompliance, type CheckContext, type ComplianceCheck, type RenderedDoc } from '../core/compliance';
import { name, podLabels } from '../core/compliance/k8s';
import { factsOf, serviceAccountFact, serviceFact } from '../core/compliance/facts';
import type { RepoFacts } from '../core/compliance/types';
import type { Finding, ValidationResult } from '../core/schemas';
import type { RepoModel } from '../core/repo-model';
import type { ManifestDoc } from '../core/yaml-docs';
import { cacheKey, cached, remember } from './cache';
import type { Target } from './discovery';
import type { RenderOptions, Rendering } from './render';
import { renderReleases } from './helm-releases';
import { renderApplications } from './argo-render';
import { renderOtherRepositories } from './flux-remote';
import { validateSchemas } from './schema-validator';
import { sha256, type RepoSnapshot } from './snapshot';
import { renderedDocs, type SourceIndex } from './source-map';

export interface TargetContext {
  snap: RepoSnapshot;
  sources: readonly ManifestDoc[];
  index: SourceIndex;
  productionPattern: RegExp;
  model: RepoModel;
  kubeVersion: string;
  /** How to run helm for the HelmReleases a rendering holds. */
  render: RenderOptions;
  /** The compliance checks to run (default: all registered). */
  checks?: readonly ComplianceCheck[];
  /** Sees the documents the checks judge and their context, per target judged (bench/linters.ts hands them to other linters). */
  onRendered?: (target: string, docs: readonly RenderedDoc[], checkCtx: CheckContext) => void;
}

function toolResults(t: Target, r: Rendering, docs: number, kubeVersion: string): ValidationResult[] {
  const validator = t.kind === 'helm' ? 'helm' : 'kustomize';
  if (r.status === 'skipped') return [{ validator, target: t.id, status: 'skipped', message: r.reason }];
  const out: ValidationResult[] = [];
  if (t.kind === 'helm') {
    out.push(r.lint
      ? { validator, target: t.id, status: 'fail', message: `helm lint: ${r.lint}` }
      : { validator, target: t.id, status: 'pass', message: 'helm lint: no failures' });
  }
  const what = t.kind === 'helm' ? `helm template (Kubernetes v${kubeVersion})` : 'kustomize build';
  out.push(r.status === 'ok'
    ? { validator, target: t.id, status: 'pass', message: `${what}: ${docs} document(s)${r.note ? `, ${r.note}` : ''}` }
    : { validator, target: t.id, status: 'fail', message: `${what}: ${r.error}` });
  return out;
}

async function schemaResults(t: Target, docs: readonly RenderedDoc[]): Promise<ValidationResult[]> {
  const key = cacheKey(['schema', t.id, sha256(JSON.stringify(docs))]);
  return cached<ValidationResult[]>(key) ?? remember(key, await validateSchemas(t.id, docs));
}

const SERVICE_MAKERS = new Set(['Service', 'HelmRelease', 'Application']);
const factsOfModel = new WeakMap<RepoModel, RepoFacts>();
/** What the checks know of the whole repository: its models and what every document written in it says, once per model. */
function repoFacts(model: RepoModel): RepoFacts {
  const known = factsOfModel.get(model);
  if (known) return known;
  const objects = model.docs.map((d) => d.object);
  const facts: RepoFacts = {
    flux: model.flux, argo: model.argo, labels: model.labels,
    // Pod template labels of every workload the repository writes.
    podLabels: objects.map((o) => podLabels(o)).filter((l) => Object.keys(l).length > 0),
    serviceAccounts: factsOf(objects, serviceAccountFact),
    services: factsOf(objects, serviceFact),
    // Names of every Service, HelmRelease and Application written: charts name Services after their release.
    serviceNames: new Set(objects.filter((o) => SERVICE_MAKERS.has(String(o.kind))).map((o) => name(o)).filter(Boolean)),
  };
  factsOfModel.set(model, facts);
  return facts;
}

export async function validateTarget(t: Target, r: Rendering, ctx: TargetContext): Promise<{ validations: ValidationResult[]; findings: Finding[] }> {
  const own = r.status === 'ok' ? renderedDocs(t, r.text, ctx.snap, ctx.sources, ctx.index, ctx.model.patchFiles) : [];
  const validations = t.kind === 'plain' ? [] : toolResults(t, r, own.length, ctx.kubeVersion);
  // HelmReleases in the rendering: their charts rendered too, so their workloads meet the checklist.
  // Flux Kustomizations of other repositories: built from a clone, their objects checked with the rest.
  const others = t.kind === 'helm' ? { validations: [], docs: [] } : await renderOtherRepositories(t.id, own, ctx.model, ctx.render);
  const releases = t.kind === 'helm' ? { validations: [], docs: [] } : await renderReleases(t.id, [...own, ...others.docs], ctx.model, ctx.render);
  validations.push(...others.validations);
  validations.push(...releases.validations);
  // Argo CD Applications in the rendering: their sources rendered as Argo CD's repo-server would.
  const apps = t.kind === 'helm' ? { validations: [], docs: [] } : await renderApplications(t.id, own, ctx.model, ctx.render, ctx.index);
  validations.push(...apps.validations);
  const docs = [...own, ...others.docs, ...releases.docs, ...apps.docs];
  validations.push(...await schemaResults(t, docs));
  if (r.status === 'skipped') return { validations, findings: [] };
  const checkCtx: CheckContext = {
    target: t.id,
    production: ctx.productionPattern.test(t.id),
    kubeVersion: ctx.kubeVersion,
    ...(ctx.render.fluxVersion ? { fluxVersion: ctx.render.fluxVersion } : {}),
    directories: ctx.snap.directories,
    definedSources: ctx.model.flux.defined,
    repo: repoFacts(ctx.model),
    ...(r.status === 'failed' && t.kind === 'kustomize' ? { buildError: r.error.split('\n').slice(-1)[0] ?? r.error } : {}),
  };
  ctx.onRendered?.(t.id, docs, checkCtx);
  return { validations, findings: runCompliance(docs, checkCtx, ctx.checks) };
}
