// Flux applies what a Kustomization's spec.path names, relative to the source root; a missing folder
// fails reconciliation ("kustomization path not found"). A HelmRelease whose chart source is not
// defined never installs. No linter checks either; both need the repository, given in the context.
import { get, str } from '../yaml-docs';
import { ARTIFACT_SOURCES, helmReleaseSource, isFluxKustomizationObject, isHelmRelease, repoPath, sourceDefined } from './flux';
import type { ComplianceCheck, Violation } from './types';

export const gitopsPathMissing: ComplianceCheck = {
  id: 'gitops-path-missing',
  severity: 'error',
  help:
    'A Flux Kustomization\'s spec.path must name a folder of this repository (relative to its root; the folder ' +
    'need not hold a kustomization.yaml), and a HelmRelease\'s chart source (spec.chart.spec.sourceRef or ' +
    'spec.chartRef) must be a HelmRepository, GitRepository, OCIRepository, Bucket or HelmChart defined in the repository.',
  check(docs, ctx) {
    const out: Violation[] = [];
    for (const doc of docs) {
      const o = doc.object;
      if (isFluxKustomizationObject(o)) {
        if (ARTIFACT_SOURCES.has(str(get(o, 'spec', 'sourceRef', 'kind')) ?? '')) continue;
        const raw = str(get(o, 'spec', 'path')) ?? '.';
        const dir = repoPath(raw);
        if (dir === undefined || !ctx.directories.has(dir)) out.push({ doc, message: `spec.path "${raw}" does not exist in the repository` });
      } else if (isHelmRelease(o)) {
        const ref = helmReleaseSource(o);
        if (!sourceDefined(ref, o, ctx.definedSources)) {
          const shown = `${str(get(ref, 'kind')) ?? '?'}/${str(get(ref, 'name')) ?? '?'}`;
          out.push({ doc, message: `chart source ${shown} is not defined in the repository` });
        }
      }
    }
    return out;
  },
};
