// A workload, its pod template or a Service must say what app, version and component it is: the
// keys people and tools (dashboards, NetworkPolicies, cost reports) select on. On a repository, the
// groups checked are those of its own convention (the groups most of its workloads carry): a
// repository that labels only `app` is checked for `app` everywhere, not for keys it never adopted.
import { LABEL_GROUPS } from '../repo-model/labels';
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
    'the three its workloads mostly carry (its convention). Add the missing keys, in the base or with the overlay `labels:` field.',
  check(docs, ctx) {
    const groups = ctx.repo?.labels.groups ?? LABEL_GROUPS.map(([short]) => short);
    const out: Violation[] = [];
    for (const doc of docs) {
      const o = doc.object;
      const places: [string, Record<string, string>, (string | number)[]][] = [];
      if (kind(o) === 'Service') places.push(['metadata.labels', labelsOf(o), ['metadata', 'labels']]);
      else if (podTemplate(o)) {
        places.push(['metadata.labels', labelsOf(o), ['metadata', 'labels']]);
        if (kind(o) !== 'Pod') places.push(['the pod template labels', podLabels(o), [...(podTemplatePath(o) ?? []), 'metadata', 'labels']]);
      }
      for (const [where, labels, path] of places) {
        const absent = missing(labels, groups);
        if (absent.length) out.push({ doc, path, message: `${where} lack ${absent.join(', ')}` });
      }
    }
    return out;
  },
};
