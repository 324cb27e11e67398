// A workload, its pod template or a Service must say what app, version and component it is: the
// keys people and tools (dashboards, NetworkPolicies, cost reports) select on. On a repository, the
// groups checked are those of its own convention (the groups most of its workloads carry): a
// repository that labels only `app` is checked for `app` everywhere, not for keys it never adopted.
import { LABEL_GROUPS, MIN_CONVENTION_SAMPLES } from '../repo-model/labels';
import { kind, labelsOf, podLabels, podTemplate, podTemplatePath } from './k8s';
import type { ComplianceCheck, Violation } from './types';

const missing = (labels: Record<string, string>, groups: readonly string[]): string[] =>
  LABEL_GROUPS.filter(([short]) => groups.includes(short)).filter((alts) => !alts.some((k) => k in labels)).map(([short, long]) => `${short} (or ${long})`);

export const requiredLabels: ComplianceCheck = {
  id: 'required-labels',
  severity: 'error',
  help:
    'Workloads, their pod templates and Services carry the labels app (or app.kubernetes.io/name), version ' +
    '(or app.kubernetes.io/version) and component (or app.kubernetes.io/component) — on a repository, those of ' +
    'the three its pod templates (and, separately, its objects) mostly carry: its convention; a warning when it has ' +
    'fewer than three workloads to learn one from. Add the missing keys, in the base or with the overlay `labels:` field.',
  check(docs, ctx) {
    const all = LABEL_GROUPS.map(([short]) => short);
    const convention = ctx.repo?.labels;
    const podGroups = convention?.groups ?? all;
    const objectGroups = convention?.objectGroups ?? all;
    // Too few workloads to have a convention: report what DESIGN.md asks, but not as an error.
    const severity = convention && convention.workloads < MIN_CONVENTION_SAMPLES ? { severity: 'warning' as const } : {};
    const out: Violation[] = [];
    for (const doc of docs) {
      const o = doc.object;
      const places: [string, Record<string, string>, (string | number)[], string[]][] = [];
      if (kind(o) === 'Service') places.push(['metadata.labels', labelsOf(o), ['metadata', 'labels'], objectGroups]);
      else if (podTemplate(o)) {
        places.push(['metadata.labels', labelsOf(o), ['metadata', 'labels'], kind(o) === 'Pod' ? podGroups : objectGroups]);
        if (kind(o) !== 'Pod') places.push(['the pod template labels', podLabels(o), [...(podTemplatePath(o) ?? []), 'metadata', 'labels'], podGroups]);
      }
      for (const [where, labels, path, groups] of places) {
        const absent = missing(labels, groups);
        if (absent.length) out.push({ doc, path, message: `${where} lack ${absent.join(', ')}`, ...severity });
      }
    }
    return out;
  },
};
