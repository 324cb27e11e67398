// In production, replicas the scheduler may stack on one node (or one zone) fall together with it.
// A podAntiAffinity term or a topology spread constraint over the workload's own pods spreads them.
import { arr, get, rec } from '../yaml-docs';
import { podLabels, podSpec, podSpecPath, selectorMatches } from './k8s';
import { countText, replicaCounts } from './replicas';
import type { ComplianceCheck, Violation } from './types';

/** A term that spreads these pods: its labelSelector selects them, or matchLabelKeys picks them by their own labels. */
const spreadsOwnPods = (term: unknown, labels: Record<string, string>): boolean =>
  arr(get(term, 'matchLabelKeys')).length > 0 || selectorMatches(get(term, 'labelSelector'), labels);

function spread(spec: Record<string, unknown>, labels: Record<string, string>): boolean {
  const anti = rec(get(spec, 'affinity', 'podAntiAffinity'));
  const terms = [
    ...arr(anti?.requiredDuringSchedulingIgnoredDuringExecution),
    ...arr(anti?.preferredDuringSchedulingIgnoredDuringExecution).map((t) => get(t, 'podAffinityTerm')),
  ];
  return terms.some((t) => spreadsOwnPods(t, labels)) || arr(spec.topologySpreadConstraints).some((c) => spreadsOwnPods(c, labels));
}

export const missingAntiAffinity: ComplianceCheck = {
  id: 'missing-anti-affinity',
  severity: 'warning',
  help:
    'Production overlays only. A Deployment, StatefulSet (or Argo Rollout, CloneSet) that runs more than one pod (spec.replicas, ' +
    'or an autoscaler\'s minimum, > 1) must spread them: a `topologySpreadConstraints` entry or a podAntiAffinity term (required ' +
    'or preferred) whose labelSelector selects its own pods (or that uses matchLabelKeys). A term selecting other pods does not ' +
    'count. Without one, the scheduler\'s default spreading is best effort only and all replicas may land on one node. Fix: ' +
    '`topologySpreadConstraints: [{maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway, ' +
    'labelSelector: {matchLabels: <pod selector>}}]` (add topology.kubernetes.io/zone on multi-zone clusters).',
  check(docs, ctx) {
    if (!ctx.production) return [];
    const out: Violation[] = [];
    for (const r of replicaCounts(docs)) {
      const spec = podSpec(r.doc.object);
      if (r.min <= 1 || !spec || spread(spec, podLabels(r.doc.object))) continue;
      out.push({ doc: r.doc, path: podSpecPath(r.doc.object), message: `${countText(r)} in a production overlay with no podAntiAffinity or topologySpreadConstraints over its pods: they may all run on one node` });
    }
    return out;
  },
};
