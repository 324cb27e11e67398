// Argo CD Applications: the folders of a Git repository they sync. Which repoURL is this repository
// is not written anywhere in it: it is a URL the caller knows (`git remote`), or, failing that, a
// repoURL at least one Application uses with a path that exists here — the others of that URL are
// then checked against this tree, and Applications of other URLs are another repository's.
import { arr, get, rec, str, type ManifestDoc } from '../yaml-docs';
import { normaliseRepoUrl, repoPath } from './flux';

export interface ArgoSource {
  doc: ManifestDoc;
  repoURL: string;
  path: string;
  /** Pointer to the source in the object, for positions (`spec.source` or `spec.sources[i]`). */
  at: (string | number)[];
}

export interface ArgoModel {
  applications: ManifestDoc[];
  /** Git sources with a path (chart sources from Helm repositories have none). */
  sources: ArgoSource[];
  /** repoURLs taken to be this repository. */
  self: ReadonlySet<string>;
}

export const isArgoApplication = (o: Record<string, unknown>): boolean =>
  str(o.kind) === 'Application' && /^argoproj\.io\//.test(str(o.apiVersion) ?? '');


export function argoModel(manifests: readonly ManifestDoc[], directories: ReadonlySet<string>, selfUrls: readonly string[] = []): ArgoModel {
  const applications = manifests.filter((d) => isArgoApplication(d.object));
  const sources: ArgoSource[] = [];
  for (const doc of applications) {
    const single = rec(get(doc.object, 'spec', 'source'));
    const list: [unknown, (string | number)[]][] = single ? [[single, ['spec', 'source']]] : arr(get(doc.object, 'spec', 'sources')).map((s, i) => [s, ['spec', 'sources', i]]);
    for (const [s, at] of list) {
      const repoURL = str(get(s, 'repoURL'));
      const path = str(get(s, 'path'));
      if (repoURL && path !== undefined) sources.push({ doc, repoURL: normaliseRepoUrl(repoURL), path, at });
    }
  }
  const self = new Set(selfUrls.map(normaliseRepoUrl));
  for (const s of sources) {
    const dir = repoPath(s.path);
    if (dir !== undefined && dir !== '.' && directories.has(dir)) self.add(s.repoURL);
  }
  return { applications, sources, self };
}
