// Where a HelmRelease's chart is fetched from when it is not in the repository, read as Flux's
// source-controller reads it: a HelmRepository (HTTPS index or `type: oci`) with the chart name and
// version, an OCIRepository of `chartRef` (its ref and layerSelector), or a GitRepository of another
// repository with the chart's path in it. Pure: validation/ does the fetching.
import { get, str, type ManifestDoc } from '../yaml-docs';
import { BOOTSTRAP_SOURCE, helmReleaseSource } from './flux';

/** The media type of a Helm chart's content layer in an OCI artifact. */
export const HELM_CHART_LAYER = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';

export type ChartSource =
  /** `helm pull <chart> --repo <url>` (HTTPS index) or `helm pull <url>` (OCI, url is the chart's reference). */
  | { kind: 'helm'; url: string; chart: string; version?: string; oci: boolean; insecure: boolean }
  /** A chart folder at `path` in a clone of `url` at `ref`. */
  | { kind: 'git'; url: string; ref: GitRef; path: string };

export interface GitRef { branch?: string; tag?: string; commit?: string; semver?: string; name?: string }

type Obj = Record<string, unknown>;
const nsOf = (o: Obj): string | undefined => str(get(o, 'metadata', 'namespace'));

/** The source object a reference names, in the owner's namespace unless the reference says another. */
function findSource(sources: readonly ManifestDoc[], kind: string, name: string, ns: string | undefined): Obj | undefined {
  const same = sources.filter((s) => s.object.kind === kind && str(get(s.object, 'metadata', 'name')) === name).map((s) => s.object);
  return same.find((s) => nsOf(s) === ns) ?? same.find((s) => nsOf(s) === undefined || ns === undefined);
}

/** `oci://host/a/b` and `oci://host/a/b/` name the same place. */
const trimSlash = (u: string): string => u.replace(/\/+$/, '');

/** The last segment of a chart's OCI reference: the name `helm pull` gives the archive. */
export const ociChartName = (url: string): string => trimSlash(url).split('/').pop() ?? url;

/**
 * Where to fetch the chart of a HelmRelease object, or why it cannot be fetched (a source defined
 * nowhere, a layer that is not a chart). `undefined` when the source is this repository's own.
 */
export function chartSource(o: Obj, sources: readonly ManifestDoc[]): ChartSource | { unavailable: string } | undefined {
  const ref = helmReleaseSource(o);
  const kind = str(get(ref, 'kind')) ?? '';
  const name = str(get(ref, 'name')) ?? '';
  const ns = str(get(ref, 'namespace')) ?? nsOf(o);
  const shown = `${kind || '?'}/${name || '?'}`;
  const chart = str(get(o, 'spec', 'chart', 'spec', 'chart'));
  const version = str(get(o, 'spec', 'chart', 'spec', 'version'));
  if (kind === 'GitRepository' && name === BOOTSTRAP_SOURCE) return undefined;
  const src = findSource(sources, kind, name, ns);
  if (!src) return { unavailable: `its chart source ${shown} is defined nowhere in the repository, so its URL is unknown` };
  const url = str(get(src, 'spec', 'url'));
  if (!url) return { unavailable: `its chart source ${shown} has no spec.url` };
  const insecure = get(src, 'spec', 'insecure') === true;
  if (kind === 'HelmRepository') {
    if (!chart) return { unavailable: `no spec.chart.spec.chart names the chart in ${shown} (${url})` };
    const oci = str(get(src, 'spec', 'type')) === 'oci' || url.startsWith('oci://');
    return { kind: 'helm', url: oci ? `${trimSlash(url)}/${chart}` : url, chart, ...(version && version !== '*' ? { version } : {}), oci, insecure };
  }
  if (kind === 'OCIRepository') {
    const media = str(get(src, 'spec', 'layerSelector', 'mediaType'));
    if (media && media !== HELM_CHART_LAYER) return { unavailable: `${shown} (${url}) selects the layer ${media}, not a Helm chart (${HELM_CHART_LAYER})` };
    const digest = str(get(src, 'spec', 'ref', 'digest'));
    const wanted = str(get(src, 'spec', 'ref', 'semver')) ?? str(get(src, 'spec', 'ref', 'tag'));
    return {
      kind: 'helm', url: digest ? `${trimSlash(url)}@${digest}` : trimSlash(url), chart: ociChartName(url),
      ...(!digest && wanted ? { version: wanted } : {}), oci: true, insecure,
    };
  }
  if (kind === 'GitRepository') {
    if (!chart) return { unavailable: `no spec.chart.spec.chart names the chart's path in ${shown} (${url})` };
    const r = get(src, 'spec', 'ref');
    const gitRef: GitRef = {};
    for (const k of ['branch', 'tag', 'commit', 'semver', 'name'] as const) {
      const v = str(get(r, k));
      if (v) gitRef[k] = v;
    }
    return { kind: 'git', url, ref: gitRef, path: chart.replace(/^\.\//, '').replace(/\/+$/, '') };
  }
  return { unavailable: `chart source kind ${kind || '?'} (${shown}) is not fetched by this tool` };
}
