// Flux applies what a Kustomization's spec.path names, relative to the source root; a missing folder
// fails reconciliation ("kustomization path not found"). A HelmRelease whose chart source is not
// defined never installs. An Argo CD Application syncing a folder of this repository that does not
// exist fails the same way. No linter checks these; they need the repository, given in the context.
// Sources created at run time (flux bootstrap, FluxInstance, ArtifactGenerator) and paths inside
// another repository or an artifact are not this repository's to check.
import { get, str } from '../yaml-docs';
import {
  helmReleaseSource, isArgoApplication, isFluxKustomizationObject, isHelmRelease, normaliseRepoUrl, pathElsewhere, repoPath, sourceOrigin,
} from '../repo-model';
import type { CheckContext, ComplianceCheck, RenderedDoc, Violation } from './types';

const noRepo = { runtime: new Map<string, string>(), otherRepositories: new Set<string>() };

function argoViolations(doc: RenderedDoc, ctx: CheckContext): Violation[] {
  const self = ctx.repo?.argo.self;
  if (!self?.size) return [];
  const out: Violation[] = [];
  const single = get(doc.object, 'spec', 'source');
  const list: [unknown, (string | number)[]][] = single ? [[single, ['spec', 'source']]]
    : (Array.isArray(get(doc.object, 'spec', 'sources')) ? (get(doc.object, 'spec', 'sources') as unknown[]) : []).map((s, i) => [s, ['spec', 'sources', i]]);
  for (const [s, at] of list) {
    const url = str(get(s, 'repoURL'));
    const raw = str(get(s, 'path'));
    if (!url || raw === undefined || !self.has(normaliseRepoUrl(url))) continue;
    const dir = repoPath(raw);
    if (dir === undefined || !ctx.directories.has(dir)) out.push({ doc, path: [...at, 'path'], message: `source path "${raw}" (repoURL ${url}, this repository) does not exist` });
  }
  return out;
}

export const gitopsPathMissing: ComplianceCheck = {
  id: 'gitops-path-missing',
  severity: 'error',
  help:
    'A Flux Kustomization\'s spec.path must name a folder of this repository (relative to its root; the folder ' +
    'need not hold a kustomization.yaml), and a HelmRelease\'s chart source (spec.chart.spec.sourceRef or ' +
    'spec.chartRef) must be a HelmRepository, GitRepository, OCIRepository, Bucket or HelmChart defined in the repository ' +
    '(sources created at run time by flux bootstrap, a FluxInstance or an ArtifactGenerator count as defined). ' +
    'An Argo CD Application whose repoURL is this repository must name an existing folder.',
  check(docs, ctx) {
    const out: Violation[] = [];
    const flux = { defined: ctx.definedSources, ...(ctx.repo?.flux ?? noRepo) };
    for (const doc of docs) {
      const o = doc.object;
      if (isFluxKustomizationObject(o)) {
        if (pathElsewhere(o, flux)) continue;
        const raw = str(get(o, 'spec', 'path')) ?? '.';
        const dir = repoPath(raw);
        if (dir === undefined || !ctx.directories.has(dir)) out.push({ doc, path: ['spec', 'path'], message: `spec.path "${raw}" does not exist in the repository` });
      } else if (isHelmRelease(o)) {
        const ref = helmReleaseSource(o);
        if (sourceOrigin(ref, o, flux).kind === 'missing') {
          const shown = `${str(get(ref, 'kind')) ?? '?'}/${str(get(ref, 'name')) ?? '?'}`;
          const at = get(o, 'spec', 'chartRef') ? ['spec', 'chartRef'] : ['spec', 'chart', 'spec', 'sourceRef'];
          out.push({ doc, path: at, message: `chart source ${shown} is not defined in the repository` });
        }
      } else if (isArgoApplication(o)) {
        out.push(...argoViolations(doc, ctx));
      }
    }
    return out;
  },
};
