// How many pods a replicated workload keeps at least, counting the autoscaler that owns its replica
// count: shared by the production availability checks (missing-pod-disruption-budget, single-replica,
// missing-anti-affinity).
import { get, str } from '../yaml-docs';
import { kind, name, sameNamespace } from './k8s';
import type { RenderedDoc } from './types';

/** Workloads with a replica count; Argo Rollouts and OpenKruise CloneSets are Deployments by another name. */
export const REPLICATED_KINDS = new Set(['Deployment', 'StatefulSet', 'Rollout', 'CloneSet']);

export interface ReplicaCount {
  doc: RenderedDoc;
  /** The fewest pods it runs: the autoscaler's minimum when one targets it, else spec.replicas (default 1). */
  min: number;
  /** The HorizontalPodAutoscaler or KEDA ScaledObject that targets it, as `Kind/name`. */
  autoscaler?: string;
  /** Where the count is written (spec.replicas, or the workload when it is unset or autoscaled). */
  path: (string | number)[];
}

/** The autoscaler's minimum: HPA minReplicas (default 1), KEDA minReplicaCount (default 0). */
function autoscalerMin(o: Record<string, unknown>): number {
  if (kind(o) === 'ScaledObject') {
    const n = get(o, 'spec', 'minReplicaCount');
    return typeof n === 'number' ? n : 0;
  }
  const n = get(o, 'spec', 'minReplicas');
  return typeof n === 'number' ? n : 1;
}

const targets = (scaler: Record<string, unknown>, workload: Record<string, unknown>): boolean => {
  const ref = get(scaler, 'spec', 'scaleTargetRef');
  // KEDA's scaleTargetRef.kind defaults to Deployment.
  const refKind = str(get(ref, 'kind')) ?? (kind(scaler) === 'ScaledObject' ? 'Deployment' : undefined);
  return refKind === kind(workload) && str(get(ref, 'name')) === name(workload) && sameNamespace(scaler, workload);
};

/** Every replicated workload of a rendering with the fewest pods it runs. */
export function replicaCounts(docs: readonly RenderedDoc[]): ReplicaCount[] {
  const scalers = docs.filter((d) => kind(d.object) === 'HorizontalPodAutoscaler' || kind(d.object) === 'ScaledObject');
  return docs.filter((d) => REPLICATED_KINDS.has(kind(d.object))).map((doc) => {
    const scaler = scalers.find((s) => targets(s.object, doc.object));
    if (scaler) return { doc, min: autoscalerMin(scaler.object), autoscaler: `${kind(scaler.object)}/${name(scaler.object)}`, path: [] };
    const replicas = get(doc.object, 'spec', 'replicas');
    return typeof replicas === 'number' ? { doc, min: replicas, path: ['spec', 'replicas'] } : { doc, min: 1, path: [] };
  });
}

/** `3 replicas` or `HorizontalPodAutoscaler/web minReplicas 3`, for messages. */
export const countText = (r: ReplicaCount): string => (r.autoscaler ? `${r.autoscaler} keeps at least ${r.min} replica(s)` : `${r.min} replica(s)`);
