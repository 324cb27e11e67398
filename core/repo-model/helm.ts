// Helm in the repository: chart folders, vendored chart archives, and the HelmReleases with where
// their chart comes from and whether it can be rendered offline (a chart folder of this repository
// or a vendored .tgz), so a release is rendered or honestly `skipped` with the reason.
import { posix } from 'node:path';
import { arr, get, str, type ManifestDoc } from '../yaml-docs';
import { BOOTSTRAP_SOURCE, helmReleaseSource, repoPath } from './flux';

export interface HelmReleaseModel {
  doc: ManifestDoc;
  name: string;
  namespace?: string;
  /** Chart name or path as written (`podinfo`, `./charts/podinfo`); undefined with a chartRef. */
  chart?: string;
  version?: string;
  /** `Kind/name` of the chart's source. */
  sourceRef?: string;
  /** A chart folder or archive of this repository that renders this release, if any. */
  localChart?: string;
  /** Why the release cannot be rendered offline, when it cannot. */
  unavailable?: string;
  /** ConfigMaps of valuesFrom (name, key), in order. */
  valuesFrom: { kind: string; name: string; key: string }[];
}

export interface HelmModel {
  /** Folders holding a Chart.yaml. */
  charts: string[];
  /** Vendored chart archives (`*.tgz`). */
  archives: string[];
  releases: HelmReleaseModel[];
}

function localChart(chart: string | undefined, version: string | undefined, sourceKind: string, sourceName: string, charts: readonly string[], archives: readonly string[]): string | undefined {
  if (!chart) return undefined;
  // A GitRepository chart is a path inside that repository; this repository's source is flux-system.
  if (sourceKind === 'GitRepository' && sourceName === BOOTSTRAP_SOURCE) {
    const dir = repoPath(chart);
    if (dir && charts.includes(dir)) return dir;
    if (dir && archives.includes(dir)) return dir;
  }
  const archive = archives.find((a) => {
    const base = posix.basename(a, '.tgz');
    return version ? base === `${chart}-${version}` : base.startsWith(`${chart}-`);
  });
  return archive;
}

/** Where a HelmRelease object's chart can be rendered from offline, or why it cannot. */
export function chartAvailability(o: Record<string, unknown>, helm: Pick<HelmModel, 'charts' | 'archives'>): { localChart: string } | { unavailable: string } {
  const ref = helmReleaseSource(o);
  const sourceKind = str(get(ref, 'kind')) ?? '';
  const sourceName = str(get(ref, 'name')) ?? '';
  const chart = str(get(o, 'spec', 'chart', 'spec', 'chart'));
  const version = str(get(o, 'spec', 'chart', 'spec', 'version'));
  const local = localChart(chart, version, sourceKind, sourceName, helm.charts, helm.archives);
  if (local) return { localChart: local };
  const shown = `${sourceKind || '?'}/${sourceName || '?'}`;
  return {
    unavailable: chart
      ? `chart ${chart}${version ? ` ${version}` : ''} comes from ${shown} and is not vendored in the repository (no chart folder or .tgz): not rendered offline`
      : `chart of ${shown} (chartRef) is an artifact fetched at run time: not rendered offline`,
  };
}

export function helmModel(paths: readonly string[], releases: readonly ManifestDoc[]): HelmModel {
  const charts = paths.filter((f) => posix.basename(f) === 'Chart.yaml').map((f) => posix.dirname(f)).sort();
  const archives = paths.filter((f) => f.endsWith('.tgz')).sort();
  return {
    charts,
    archives,
    releases: releases.map((doc) => {
      const o = doc.object;
      const ref = helmReleaseSource(o);
      const sourceKind = str(get(ref, 'kind')) ?? '';
      const sourceName = str(get(ref, 'name')) ?? '';
      const chart = str(get(o, 'spec', 'chart', 'spec', 'chart'));
      const version = str(get(o, 'spec', 'chart', 'spec', 'version'));
      const ns = str(get(o, 'metadata', 'namespace'));
      const valuesFrom = arr(get(o, 'spec', 'valuesFrom')).map((v) => ({
        kind: str(get(v, 'kind')) ?? 'ConfigMap', name: str(get(v, 'name')) ?? '', key: str(get(v, 'valuesKey')) ?? 'values.yaml',
      }));
      return {
        doc,
        name: str(get(o, 'metadata', 'name')) ?? '',
        ...(ns ? { namespace: ns } : {}),
        ...(chart ? { chart } : {}),
        ...(version ? { version } : {}),
        ...(sourceKind ? { sourceRef: `${sourceKind}/${sourceName}` } : {}),
        ...chartAvailability(o, { charts, archives }),
        valuesFrom,
      };
    }),
  };
}
