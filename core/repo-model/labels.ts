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
  /** The LABEL_GROUPS (by their short key) that at least half of the pod templates carry; all of them when there are no workloads. */
  groups: string[];
  /** The same for the objects' own metadata.labels (workloads and Services): many repositories label only pods. */
  objectGroups: string[];
  /** How many workloads it was learned from. */
  workloads: number;
}

/** Below this many workloads there is no convention to learn: the DESIGN.md groups apply, as warnings. */
export const MIN_CONVENTION_SAMPLES = 3;

function usedGroups(labelSets: readonly Record<string, unknown>[]): string[] {
  if (labelSets.length === 0) return LABEL_GROUPS.map(([short]) => short);
  return LABEL_GROUPS.filter((alts) => labelSets.filter((l) => alts.some((k) => k in l)).length * 2 >= labelSets.length).map(([short]) => short);
}

/** The labels that describe a workload: its pod template's, else its own. */
export const workloadLabels = (o: Record<string, unknown>): Record<string, unknown> =>
  rec(get(o, 'spec', 'template', 'metadata', 'labels')) ?? rec(get(o, 'metadata', 'labels')) ?? {};

export function labelConvention(docs: readonly ManifestDoc[]): LabelConvention {
  const workloads = docs.filter((d) => CONVENTION_WORKLOAD_KINDS.has(kindOf(d.object)));
  const counts = new Map<string, number>();
  let io = 0;
  let plain = 0;
  for (const w of workloads) {
    const labels = workloadLabels(w.object);
    for (const k of Object.keys(labels)) counts.set(k, (counts.get(k) ?? 0) + 1);
    if ('app.kubernetes.io/name' in labels) io++;
    else if ('app' in labels) plain++;
  }
  const objects = docs.filter((d) => CONVENTION_WORKLOAD_KINDS.has(kindOf(d.object)) || kindOf(d.object) === 'Service')
    .map((d) => rec(get(d.object, 'metadata', 'labels')) ?? {});
  return {
    style: io === 0 && plain === 0 ? 'none' : io >= plain ? 'app.kubernetes.io' : 'app',
    keys: [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k]) => k),
    groups: usedGroups(workloads.map((w) => workloadLabels(w.object))),
    objectGroups: usedGroups(objects),
    workloads: workloads.length,
  };
}
