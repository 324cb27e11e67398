// Flux Kustomizations whose source is a GitRepository of another repository (or another branch):
// the folder is built from a clone of that repository at its ref, as kustomize-controller would
// build it (the Kustomization's components, patches, targetNamespace, postBuild substitution), so
// its objects meet the checklist too. The objects are placed at the Flux Kustomization.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { RenderedDoc } from '../core/compliance';
import { isFluxKustomizationObject, repoPath, type RepoModel } from '../core/repo-model';
import type { GitRef } from '../core/repo-model/chart-source';
import { fluxBuild } from '../core/repo-model/flux-build';
import { get, parseManifests, str } from '../core/yaml-docs';
import { launch } from '../runtime/launcher';
import { fetchSettings, offlineEnv, shownUrl } from './fetch-cache';
import { fetchGit } from './fetch-git';
import { strictSubstitution } from './discovery';
import { finishBuild, fluxNote, fluxOverlay } from './flux-render';
import type { ReleaseResults } from './helm-releases';
import { tidy, type RenderOptions } from './render';

type Obj = Record<string, unknown>;

function gitSource(ks: Obj, model: Pick<RepoModel, 'flux'>): { url: string; ref: GitRef } | undefined {
  const name = str(get(ks, 'spec', 'sourceRef', 'name')) ?? '';
  if (str(get(ks, 'spec', 'sourceRef', 'kind')) !== 'GitRepository' || !model.flux.otherRepositories.has(`GitRepository/${name}`)) return undefined;
  const src = model.flux.sources.find((s) => s.object.kind === 'GitRepository' && str(get(s.object, 'metadata', 'name')) === name)?.object;
  const url = str(get(src, 'spec', 'url'));
  if (!url) return undefined;
  const ref: GitRef = {};
  for (const k of ['branch', 'tag', 'commit', 'semver', 'name'] as const) {
    const v = str(get(src, 'spec', 'ref', k));
    if (v) ref[k] = v;
  }
  return { url, ref };
}

export async function renderOtherRepositories(target: string, docs: readonly RenderedDoc[], model: Pick<RepoModel, 'flux' | 'manifests' | 'kustomize'>, opts: RenderOptions): Promise<ReleaseResults> {
  const out: ReleaseResults = { validations: [], docs: [] };
  const kustomize = opts.tools.kustomize;
  for (const doc of docs.filter((d) => isFluxKustomizationObject(d.object))) {
    const source = gitSource(doc.object, model);
    if (!source) continue;
    const where = { ...(doc.file ? { file: doc.file } : {}), ...(doc.line ? { line: doc.line } : {}) };
    const label = `Kustomization ${str(get(doc.object, 'metadata', 'namespace')) ?? 'flux-system'}/${str(get(doc.object, 'metadata', 'name')) ?? '?'}`;
    const dir = repoPath(str(get(doc.object, 'spec', 'path')) ?? '.') ?? '.';
    const say = (status: 'pass' | 'fail' | 'skipped', message: string) => out.validations.push({ validator: 'kustomize', target, status, ...where, message: `${label}: ${message}` });
    const tree = await fetchGit(source.url, source.ref, opts.fetch ?? fetchSettings(), opts.signal);
    if ('skipped' in tree) {
      say('skipped', `${dir} of another repository not fetched: ${tree.skipped}; its objects are not checked`);
      continue;
    }
    const names = await fs.readdir(path.join(tree.path, dir)).catch(() => undefined);
    if (!names) {
      say('fail', `path ${dir} does not exist in ${shownUrl(source.url)} at ${tree.rev.slice(0, 12)} (kustomize-controller: "kustomization path not found")`);
      continue;
    }
    if (!kustomize || !names.some((n) => /^(kustomization\.ya?ml|Kustomization)$/.test(n))) {
      say('skipped', `${dir} of ${shownUrl(source.url)} ${kustomize ? 'has no kustomization.yaml (the controller would generate one): not built here' : opts.tools.missing.kustomize}; its objects are not checked`);
      continue;
    }
    const flux = fluxBuild({ object: doc.object, file: doc.file ?? target }, model.manifests, { strict: strictSubstitution(model, opts.fluxVersion) });
    const over = await fluxOverlay(tree.path, dir, flux, true);
    try {
      const r = await launch(kustomize.file, [...kustomize.prefix, '--load-restrictor=LoadRestrictionsNone', over.dir], {
        timeout: 120_000, maxBuffer: 256 * 1024 * 1024, env: offlineEnv(opts.fetch), ...(opts.signal ? { cancelSignal: opts.signal } : {}),
      });
      if (r.exitCode !== 0) {
        say('fail', `kustomize build of ${dir} in ${shownUrl(source.url)}: ${tidy(String(r.stderr || r.stdout), tree.path)}`);
        continue;
      }
      const done = finishBuild(String(r.stdout), flux, over.here);
      if ('error' in done) {
        say('fail', `kustomize build of ${dir} in ${shownUrl(source.url)}: ${done.error}`);
        continue;
      }
      const objects = parseManifests(target, done.text).docs.map((d) => ({ object: d.object, ...where }));
      out.docs.push(...objects);
      say('pass', `kustomize build of ${dir} in ${shownUrl(source.url)} at ${tree.rev.slice(0, 12)}${tree.resolved ? `, ${tree.resolved}` : ''} (from the ${tree.from}): ${objects.length} document(s), ${fluxNote(flux)}`);
    } finally {
      await over.cleanup();
    }
  }
  return out;
}
