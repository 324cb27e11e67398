// The repository's label convention, learned from its workloads: which of the app / version /
// component label groups most workloads carry, and in which style. The scaffold labels a new
// service by it, and required-labels checks consistency with it rather than a convention the
// repository never adopted.
import { get, kindOf, rec, type ManifestDoc } from '../yaml-docs';

/** Each label group, satisfied by the short key or the recommended `app.kubernetes.io/` one (DESIGN.md). */
export const LABEL_GROUPS: readonly (readonly [string, string])[] = [
  ['app', 'app.kubernetes.io/name'],
  ['version', 'app.kubernetes.io/version'],
  ['component', 'app.kubernetes.io/component'],
];

export const CONVENTION_WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

export interface LabelConvention {
  /** `app` or `app.kubernetes.io/*`, by majority; `none` when nothing to learn from. */
  style: 'app' | 'app.kubernetes.io' | 'none';
  /** Label keys seen on workloads, most common first. */
  keys: string[];
  /** The LABEL_GROUPS (by their short key) that at least half of the workloads carry; all of them when there are no workloads. */
  groups: string[];
  /** How many workloads it was learned from. */
  workloads: number;
}

/** The labels that describe a workload: its pod template's, else its own. */
export const workloadLabels = (o: Record<string, unknown>): Record<string, unknown> =>
  rec(get(o, 'spec', 'template', 'metadata', 'labels')) ?? rec(get(o, 'metadata', 'labels')) ?? {};

export function labelConvention(docs: readonly ManifestDoc[]): LabelConvention {
  const workloads = docs.filter((d) => CONVENTION_WORKLOAD_KINDS.has(kindOf(d.object)));
  const counts = new Map<string, number>();
  const groupCounts = LABEL_GROUPS.map(() => 0);
  let io = 0;
  let plain = 0;
  for (const w of workloads) {
    const labels = workloadLabels(w.object);
    for (const k of Object.keys(labels)) counts.set(k, (counts.get(k) ?? 0) + 1);
    if ('app.kubernetes.io/name' in labels) io++;
    else if ('app' in labels) plain++;
    LABEL_GROUPS.forEach((alts, i) => { if (alts.some((k) => k in labels)) groupCounts[i] = (groupCounts[i] ?? 0) + 1; });
  }
  const groups = workloads.length === 0
    ? LABEL_GROUPS.map(([short]) => short)
    : LABEL_GROUPS.filter((_, i) => (groupCounts[i] ?? 0) * 2 >= workloads.length).map(([short]) => short);
  return {
    style: io === 0 && plain === 0 ? 'none' : io >= plain ? 'app.kubernetes.io' : 'app',
    keys: [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k]) => k),
    groups,
    workloads: workloads.length,
  };
}
