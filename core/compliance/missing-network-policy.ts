// A sensitive workload (it mounts a Secret, or is labelled sensitivity: high) must be fenced by a
// NetworkPolicy; without one any pod in the cluster can reach it.
import { arr, get, rec, str } from '../yaml-docs';
import { kind, labelsOf, podLabels, podSpec, sameNamespace, selectorMatches, workloads } from './k8s';
import type { ComplianceCheck, RenderedDoc, Violation } from './types';

function mountsSecret(doc: RenderedDoc): boolean {
  return arr(podSpec(doc.object)?.volumes).some((v) => {
    if (rec(get(v, 'secret'))) return true;
    return arr(get(v, 'projected', 'sources')).some((s) => rec(get(s, 'secret')) !== undefined);
  });
}

const labelledSensitive = (doc: RenderedDoc): boolean =>
  labelsOf(doc.object).sensitivity === 'high' || podLabels(doc.object).sensitivity === 'high';

export const missingNetworkPolicy: ComplianceCheck = {
  id: 'missing-network-policy',
  severity: 'error',
  help:
    'A workload that mounts a Secret volume or is labelled sensitivity: high must be selected by a NetworkPolicy ' +
    'in its namespace (rendered with it). Add a NetworkPolicy whose podSelector matches its pod labels.',
  check(docs) {
    const out: Violation[] = [];
    const policies = docs.filter((d) => kind(d.object) === 'NetworkPolicy');
    for (const doc of workloads(docs)) {
      const why = labelledSensitive(doc) ? 'is labelled sensitivity: high' : mountsSecret(doc) ? 'mounts a Secret' : undefined;
      if (!why) continue;
      const labels = podLabels(doc.object);
      const covered = policies.some((p) => sameNamespace(p.object, doc.object) && selectorMatches(get(p.object, 'spec', 'podSelector') ?? {}, labels));
      if (!covered) {
        const ns = str(get(doc.object, 'metadata', 'namespace'));
        out.push({ doc, message: `workload ${why} and no NetworkPolicy${ns ? ` in namespace ${ns}` : ''} selects its pods` });
      }
    }
    return out;
  },
};
