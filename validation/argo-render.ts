// Argo CD Applications (and the Applications of an ApplicationSet's list generators) rendered as
// Argo CD's repo-server renders them: a Helm repository's chart (fetched like a Flux chart) or a
// folder of this or another Git repository (a clone at targetRevision), with `helm template`
// (valueFiles — `$ref/…` ones from the Application's source with that `ref` —, then values/valuesObject,
// then parameters; releaseName; the destination namespace)
// or `kustomize build` with the Application's kustomize options laid over the folder.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import type { RenderedDoc } from '../core/compliance';
import { closure, isArgoApplication, type RepoModel } from '../core/repo-model';
import { argoPlans, expandApplicationSet, type ArgoHelm, type ArgoPlan } from '../core/repo-model/argo-source';
import type { ValidationResult } from '../core/schemas';
import { get, str } from '../core/yaml-docs';
import { launch } from '../runtime/launcher';
import { exists, fetchSettings, offlineEnv } from './fetch-cache';
import { fetchChart } from './fetch-charts';
import { fetchGit } from './fetch-git';
import { fluxOverlay } from './flux-render';
import type { ReleaseResults } from './helm-releases';
import { tidy, kubeVersionOf, type RenderOptions } from './render';
import { chartDocs, renderedDocs, type SourceIndex } from './source-map';

type Obj = Record<string, unknown>;
type Outcome = { ok: true; text: string; how: string; notes?: string[]; chartFolder?: string; kustomizeRoot?: string } | { ok: false; skipped?: boolean; message: string };

const isApplicationSet = (o: Obj): boolean => o.kind === 'ApplicationSet' && /^argoproj\.io\//.test(str(o.apiVersion) ?? '');

async function run(file: string, args: string[], opts: RenderOptions, input?: string) {
  return launch(file, args, {
    timeout: 120_000, cwd: opts.snap.root, maxBuffer: 256 * 1024 * 1024, env: offlineEnv(opts.fetch), ...(input ? { input } : {}), ...(opts.signal ? { cancelSignal: opts.signal } : {}),
  });
}

/**
 * The `-f` files of a Helm source, in order: relative to the chart, or `$ref/…` in the root of the
 * Application's source with that `ref` (this repository, or a clone of another at its revision).
 */
async function valueFileArgs(chart: string, h: ArgoHelm, opts: RenderOptions): Promise<{ args: string[]; notes: string[] } | Extract<Outcome, { ok: false }>> {
  const args: string[] = [];
  const notes: string[] = [];
  for (const f of h.valueFiles) {
    let file = typeof f === 'string' ? path.resolve(chart, f) : '';
    const shown = typeof f === 'string' ? f : f.raw;
    if (typeof f !== 'string') {
      const repo = h.refs[f.ref];
      if (!repo) return { ok: false, message: `valueFiles ${f.raw} names the source ref "${f.ref}", which no source of the Application has (refs: ${Object.keys(h.refs).join(', ') || 'none'})` };
      let base = opts.snap.root;
      if (repo !== 'self') {
        const tree = await fetchGit(repo.url, repo.ref ? { name: repo.ref } : {}, opts.fetch ?? fetchSettings(), opts.signal);
        if ('skipped' in tree) return { ok: false, skipped: true, message: `valueFiles ${f.raw}: source "${f.ref}" not fetched: ${tree.skipped}` };
        base = tree.path;
      }
      file = path.join(base, path.posix.normalize(`/${f.path}`));
    }
    if (await exists(file)) {
      args.push('-f', file);
      continue;
    }
    if (!h.ignoreMissing) return { ok: false, message: `valueFiles ${shown} does not exist (Argo CD fails the render; set ignoreMissingValueFiles: true if that is meant)` };
    notes.push(`valueFiles ${shown} does not exist: left out (ignoreMissingValueFiles)`);
  }
  return { args, notes };
}

async function helmTemplate(chart: string, h: ArgoHelm, opts: RenderOptions, strip: string): Promise<Outcome> {
  const helm = opts.tools.helm?.file;
  if (!helm) return { ok: false, skipped: true, message: opts.tools.missing.helm };
  const files = await valueFileArgs(chart, h, opts);
  if ('ok' in files) return files;
  const values = h.values ? stringify(h.values) : h.valuesText;
  const args = ['template', h.releaseName, chart, '--namespace', h.namespace, '--kube-version', kubeVersionOf(opts),
    ...files.args, ...(values ? ['-f', '-'] : []),
    ...h.parameters.flatMap((p) => [p.forceString ? '--set-string' : '--set', `${p.name}=${p.value}`])];
  const r = await run(helm, args, opts, values);
  return r.exitCode === 0 ? { ok: true, text: String(r.stdout), how: 'helm template', notes: files.notes } : { ok: false, message: `helm template: ${tidy(tidy(String(r.stderr || r.stdout), strip), opts.snap.root)}` };
}

async function renderPlan(plan: ArgoPlan, opts: RenderOptions): Promise<Outcome> {
  const settings = opts.fetch ?? fetchSettings();
  if (plan.kind === 'chart') {
    const got = await fetchChart(plan.chart, opts.tools.helm?.file, settings, opts.signal);
    if ('skipped' in got) return { ok: false, skipped: true, message: `chart not fetched: ${got.skipped}` };
    const r = await helmTemplate(got.path, plan.helm, opts, got.path);
    return r.ok ? { ...r, how: `helm template of ${got.chart} ${got.version ?? ''} (${got.url}, from the ${got.from})` } : r;
  }
  let base = opts.snap.root;
  if (plan.repo !== 'self') {
    const tree = await fetchGit(plan.repo.url, plan.repo.ref ? { name: plan.repo.ref } : {}, settings, opts.signal);
    if ('skipped' in tree) return { ok: false, skipped: true, message: `source not fetched: ${tree.skipped}` };
    base = tree.path;
  }
  const dir = path.join(base, plan.path);
  if (await exists(path.join(dir, 'Chart.yaml'))) {
    const r = await helmTemplate(dir, plan.helm, opts, base);
    return r.ok ? { ...r, how: `helm template of ${plan.path}`, ...(plan.repo === 'self' ? { chartFolder: plan.path } : {}) } : r;
  }
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  if (!names.some((n) => /^(kustomization\.ya?ml|Kustomization)$/.test(n))) return { ok: false, skipped: true, message: 'a folder of plain manifests (validated as such where it is in this repository)' };
  const kustomize = opts.tools.kustomize;
  if (!kustomize) return { ok: false, skipped: true, message: opts.tools.missing.kustomize };
  const over = await fluxOverlay(base, plan.path, plan.kustomize ?? { components: [], overlay: {} });
  try {
    const r = await run(kustomize.file, [...kustomize.prefix, '--load-restrictor=LoadRestrictionsNone', over.dir], opts);
    if (r.exitCode !== 0) return { ok: false, message: `kustomize build: ${tidy(tidy(String(r.stderr || r.stdout), base), opts.snap.root)}` };
    return { ok: true, text: String(r.stdout), how: `kustomize build of ${plan.path}${plan.kustomize ? ' with its kustomize options' : ''}`, ...(plan.repo === 'self' ? { kustomizeRoot: plan.path } : {}) };
  } finally {
    await over.cleanup();
  }
}

/** Rendered documents placed in this repository's sources where they come from here, else at the Application. */
function place(out: Extract<Outcome, { ok: true }>, at: RenderedDoc, model: Pick<RepoModel, 'kustomize' | 'manifests' | 'patchFiles'>, opts: RenderOptions, index: SourceIndex): RenderedDoc[] {
  const docs = out.kustomizeRoot !== undefined
    ? renderedDocs({ id: out.kustomizeRoot, kind: 'kustomize', inputs: closure(model.kustomize, out.kustomizeRoot).files, cacheable: false }, out.text, opts.snap, model.manifests, index, model.patchFiles)
    : chartDocs(out.chartFolder, out.text, opts.snap);
  const where = { ...(at.file ? { file: at.file } : {}), ...(at.line ? { line: at.line } : {}) };
  return docs.map((d) => (d.file ? d : { object: d.object, ...where }));
}

export async function renderApplications(target: string, docs: readonly RenderedDoc[], model: Pick<RepoModel, 'argo' | 'kustomize' | 'manifests' | 'patchFiles'>, opts: RenderOptions, index: SourceIndex): Promise<ReleaseResults> {
  const result: ReleaseResults = { validations: [], docs: [] };
  for (const doc of docs.filter((d) => isArgoApplication(d.object) || isApplicationSet(d.object))) {
    const where = { ...(doc.file ? { file: doc.file } : {}), ...(doc.line ? { line: doc.line } : {}) };
    const say = (validator: 'helm' | 'kustomize', status: ValidationResult['status'], message: string) => result.validations.push({ validator, target, status, ...where, message });
    let apps = [doc.object];
    if (isApplicationSet(doc.object)) {
      const set = expandApplicationSet(doc.object, { self: model.argo.self, directories: opts.snap.directories });
      apps = set.apps;
      const name = str(get(doc.object, 'metadata', 'name')) ?? '?';
      if (set.unexpanded.length) say('kustomize', 'skipped', `ApplicationSet ${name}: generators ${set.unexpanded.join(', ')} are expanded by the controller at run time (only list generators and Git directory generators of this repository here); their Applications are not checked`);
    }
    for (const app of apps) {
      for (const plan of argoPlans(app, model.argo.self)) {
        const out = await renderPlan(plan, opts);
        const validator = plan.kind === 'chart' || (out.ok && out.how.startsWith('helm')) ? 'helm' : 'kustomize';
        if (!out.ok) {
          if (!out.message.startsWith('a folder of plain manifests')) say(validator, out.skipped ? 'skipped' : 'fail', `${plan.label}: ${out.message}${out.skipped ? '; its workloads are not checked' : ''}`);
          continue;
        }
        const placed = place(out, doc, model, opts, index);
        result.docs.push(...placed);
        const all = [...plan.helm.notes, ...out.notes ?? []];
        const notes = all.length && validator === 'helm' ? `; ${all.join('; ')}` : '';
        say(validator, 'pass', `${plan.label}: ${out.how}: ${placed.length} document(s)${notes}`);
      }
    }
  }
  return result;
}
