// A Service whose selector matches no pod rendered beside it routes traffic nowhere (kube-linter's
// dangling-service, kube-score's service-targets-pod).
import { kind, mapSelectorMatches, podLabels, sameNamespace, stringMap, workloads } from './k8s';
import { get } from '../yaml-docs';
import type { ComplianceCheck, Violation } from './types';

export const serviceSelectorMismatch: ComplianceCheck = {
  id: 'service-selector-mismatch',
  severity: 'error',
  help:
    'A Service with a selector must match the pod template labels of at least one workload in the same ' +
    'namespace of the same rendering. Fix the selector or the pod labels (a namePrefix does not change labels; ' +
    'an overlay `labels:` with includeSelectors does).',
  check(docs) {
    const out: Violation[] = [];
    const pods = workloads(docs);
    for (const doc of docs.filter((d) => kind(d.object) === 'Service')) {
      const selector = stringMap(get(doc.object, 'spec', 'selector'));
      if (Object.keys(selector).length === 0) continue; // headless / external endpoints: nothing to match
      const hit = pods.some((p) => sameNamespace(p.object, doc.object) && mapSelectorMatches(selector, podLabels(p.object)));
      if (!hit) {
        const shown = Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',');
        out.push({ doc, message: `selector ${shown} matches no pod template in this rendering` });
      }
    }
    return out;
  },
};
