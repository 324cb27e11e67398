// In production, a workload that runs several pods needs a PodDisruptionBudget: without one a node
// drain (a cluster upgrade, the autoscaler removing a node) may evict every replica at once.
import { get } from '../yaml-docs';
import { kind, podLabels, sameNamespace, selectorMatches } from './k8s';
import { countText, replicaCounts } from './replicas';
import type { ComplianceCheck, Violation } from './types';

export const missingPodDisruptionBudget: ComplianceCheck = {
  id: 'missing-pod-disruption-budget',
  severity: 'warning',
  help:
    'Production overlays only. A Deployment, StatefulSet (or Argo Rollout, CloneSet) that runs more than one pod — spec.replicas > 1, ' +
    'or a HorizontalPodAutoscaler (minReplicas) or KEDA ScaledObject (minReplicaCount) that keeps more than one — must be selected ' +
    'by a PodDisruptionBudget of its namespace rendered with it; otherwise a node drain may evict all its pods at once. Add one ' +
    'whose selector matches the pod labels, with `maxUnavailable: 1` (never 0, and no minAvailable equal to the replica count: ' +
    'either blocks drains). Single-replica workloads are single-replica\'s concern, not this check\'s.',
  check(docs, ctx) {
    if (!ctx.production) return [];
    const budgets = docs.filter((d) => kind(d.object) === 'PodDisruptionBudget');
    const out: Violation[] = [];
    for (const r of replicaCounts(docs)) {
      if (r.min <= 1) continue;
      const labels = podLabels(r.doc.object);
      // A null selector selects nothing; an empty one every pod of the namespace (policy/v1).
      if (budgets.some((b) => sameNamespace(b.object, r.doc.object) && selectorMatches(get(b.object, 'spec', 'selector'), labels))) continue;
      out.push({ doc: r.doc, path: r.path, message: `${countText(r)} in a production overlay and no PodDisruptionBudget selects its pods: a node drain may evict them all at once` });
    }
    return out;
  },
};
