// A workload, its pod template or a Service must say what app, version and component it is: the
// keys people and tools (dashboards, NetworkPolicies, cost reports) select on.
import { kind, labelsOf, podLabels, podTemplate } from './k8s';
import type { ComplianceCheck, Violation } from './types';

/** Each required label, satisfied by the short key or the recommended `app.kubernetes.io/` one. */
const REQUIRED: readonly (readonly [string, string])[] = [
  ['app', 'app.kubernetes.io/name'],
  ['version', 'app.kubernetes.io/version'],
  ['component', 'app.kubernetes.io/component'],
];

const missing = (labels: Record<string, string>): string[] =>
  REQUIRED.filter((alts) => !alts.some((k) => k in labels)).map(([short, long]) => `${short} (or ${long})`);

export const requiredLabels: ComplianceCheck = {
  id: 'required-labels',
  severity: 'error',
  help:
    'Workloads, their pod templates and Services carry the labels app (or app.kubernetes.io/name), version ' +
    '(or app.kubernetes.io/version) and component (or app.kubernetes.io/component). Add the missing keys, ' +
    'in the base or with the overlay `labels:` field.',
  check(docs) {
    const out: Violation[] = [];
    for (const doc of docs) {
      const o = doc.object;
      const places: [string, Record<string, string>][] = [];
      if (kind(o) === 'Service') places.push(['metadata.labels', labelsOf(o)]);
      else if (podTemplate(o)) {
        places.push(['metadata.labels', labelsOf(o)]);
        if (kind(o) !== 'Pod') places.push(['the pod template labels', podLabels(o)]);
      }
      for (const [where, labels] of places) {
        const absent = missing(labels);
        if (absent.length) out.push({ doc, message: `${where} lack ${absent.join(', ')}` });
      }
    }
    return out;
  },
};
