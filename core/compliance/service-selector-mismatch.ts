// A Service whose selector matches no pod rendered beside it routes traffic nowhere (kube-linter's
// dangling-service, kube-score's service-targets-pod).
import { isHelmRelease } from '../repo-model';
import { kind, mapSelectorMatches, podLabels, sameNamespace, stringMap, workloads } from './k8s';
import { get } from '../yaml-docs';
import type { ComplianceCheck, Violation } from './types';

export const serviceSelectorMismatch: ComplianceCheck = {
  id: 'service-selector-mismatch',
  severity: 'error',
  help:
    'A Service with a selector must match the pod template labels of at least one workload in the same ' +
    'namespace of the same rendering. Fix the selector or the pod labels (a namePrefix does not change labels; ' +
    'an overlay `labels:` with includeSelectors does). Exempt: a Service beside a HelmRelease in its namespace (the release\'s pods ' +
    'are not rendered here), and a Service whose selector no workload written in the repository could match (pods made outside Git: ' +
    'static control-plane pods, an operator\'s).',
  check(docs, ctx) {
    const out: Violation[] = [];
    const pods = workloads(docs);
    // A HelmRelease rendered beside it runs pods this rendering does not show: nothing to judge by.
    const releases = docs.filter((d) => isHelmRelease(d.object));
    for (const doc of docs.filter((d) => kind(d.object) === 'Service')) {
      const selector = stringMap(get(doc.object, 'spec', 'selector'));
      if (Object.keys(selector).length === 0) continue; // headless / external endpoints: nothing to match
      if (releases.some((r) => sameNamespace(r.object, doc.object))) continue;
      const hit = pods.some((p) => sameNamespace(p.object, doc.object) && mapSelectorMatches(selector, podLabels(p.object)));
      // Pods no workload in Git could be (static control-plane pods, an operator's) are not ours to
      // judge: nothing of its namespace rendered beside it, and no workload written in the repository
      // shares a label with the selector (overlays add labels to both at render time). A selector
      // beside workloads of its namespace that matches none of them is a mistake (a typo).
      const inGit = ctx.repo?.podLabels === undefined || pods.some((p) => sameNamespace(p.object, doc.object))
        || ctx.repo.podLabels.some((l) => Object.entries(selector).some(([k, v]) => l[k] === v));
      if (!hit && inGit) {
        const shown = Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',');
        out.push({ doc, path: ['spec', 'selector'], message: `selector ${shown} matches no pod template in this rendering` });
      }
    }
    return out;
  },
};
