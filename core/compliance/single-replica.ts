// In production one replica means downtime at every rollout hiccup, node drain or crash. Some
// workloads are singletons by design, and say so: those are left alone (see the help).
import { arr, get, rec, str } from '../yaml-docs';
import { kind, podSpec } from './k8s';
import { replicaCounts } from './replicas';
import type { ComplianceCheck, Violation } from './types';

/** Why a one-replica workload is a singleton by design, or undefined. */
function singletonByDesign(o: Record<string, unknown>): string | undefined {
  if (kind(o) === 'StatefulSet') return 'StatefulSet';
  if (str(get(o, 'spec', 'strategy', 'type')) === 'Recreate') return 'Recreate';
  // A claimed volume (ReadWriteOnce, the common case) admits one pod: a second replica could not start beside it.
  if (arr(podSpec(o)?.volumes).some((v) => rec(get(v, 'persistentVolumeClaim')))) return 'volume claim';
  return undefined;
}

export const singleReplica: ComplianceCheck = {
  id: 'single-replica',
  severity: 'warning',
  help:
    'Production overlays only. A Deployment (or Argo Rollout, CloneSet) with replicas 1 or unset, and no HorizontalPodAutoscaler ' +
    'or KEDA ScaledObject targeting it, is down whenever its one pod is restarted, evicted or rescheduled. Run at least 2 replicas ' +
    '(with a PodDisruptionBudget and a topology spread), or let an autoscaler own the count. Exempt, as singletons by design: ' +
    'StatefulSets (one database or broker replica is a decision that needs the application\'s own replication to change), ' +
    'Deployments with `strategy.type: Recreate` (they declare two pods must never run at once), Deployments that mount a ' +
    'PersistentVolumeClaim (a ReadWriteOnce volume admits one pod), and replicas: 0 (scaled down on purpose). DaemonSets, Jobs ' +
    'and bare Pods are not judged. Suppress with the annotation for any other intended singleton (a leader-elected controller).',
  check(docs, ctx) {
    if (!ctx.production) return [];
    const out: Violation[] = [];
    for (const r of replicaCounts(docs)) {
      if (r.min !== 1 || r.autoscaler || singletonByDesign(r.doc.object)) continue;
      const written = typeof get(r.doc.object, 'spec', 'replicas') === 'number';
      out.push({ doc: r.doc, path: r.path, message: `runs ${written ? 'replicas: 1' : 'one replica (replicas unset)'} in a production overlay and no autoscaler targets it: down whenever its pod is` });
    }
    return out;
  },
};
