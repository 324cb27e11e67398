// A sensitive workload (it reads a Secret — mounted, through env secretKeyRef or envFrom — or is
// labelled sensitivity: high) must be fenced by a NetworkPolicy; without one any pod in the cluster
// can reach it.
import { arr, get, rec, str } from '../yaml-docs';
import { containers, kind, labelsOf, podLabels, podSpec, podSpecPath, sameNamespace, selectorMatches, workloads } from './k8s';
import type { ComplianceCheck, RenderedDoc, Violation } from './types';

function mountsSecret(doc: RenderedDoc): boolean {
  return arr(podSpec(doc.object)?.volumes).some((v) => {
    if (rec(get(v, 'secret'))) return true;
    return arr(get(v, 'projected', 'sources')).some((s) => rec(get(s, 'secret')) !== undefined);
  });
}

/** A container reading a Secret into its environment, and where. */
function secretInEnv(doc: RenderedDoc): (string | number)[] | undefined {
  for (const c of containers(doc.object)) {
    const env = arr(c.container.env).findIndex((e) => rec(get(e, 'valueFrom', 'secretKeyRef')) !== undefined);
    if (env >= 0) return [...c.path, 'env', env];
    const from = arr(c.container.envFrom).findIndex((e) => rec(get(e, 'secretRef')) !== undefined);
    if (from >= 0) return [...c.path, 'envFrom', from];
  }
  return undefined;
}

const labelledSensitive = (doc: RenderedDoc): boolean =>
  labelsOf(doc.object).sensitivity === 'high' || podLabels(doc.object).sensitivity === 'high';

function whySensitive(doc: RenderedDoc): { why: string; path: (string | number)[] } | undefined {
  if (labelledSensitive(doc)) return { why: 'is labelled sensitivity: high', path: ['metadata', 'labels'] };
  if (mountsSecret(doc)) return { why: 'mounts a Secret', path: [...podSpecPath(doc.object), 'volumes'] };
  const env = secretInEnv(doc);
  return env ? { why: 'reads a Secret into its environment', path: env } : undefined;
}

export const missingNetworkPolicy: ComplianceCheck = {
  id: 'missing-network-policy',
  severity: 'error',
  help:
    'A workload that reads a Secret (a Secret volume, env valueFrom.secretKeyRef or envFrom.secretRef) or is labelled ' +
    'sensitivity: high must be selected by a NetworkPolicy in its namespace (rendered with it). Add a NetworkPolicy ' +
    'whose podSelector matches its pod labels.',
  check(docs) {
    const out: Violation[] = [];
    const policies = docs.filter((d) => kind(d.object) === 'NetworkPolicy');
    for (const doc of workloads(docs)) {
      const sensitive = whySensitive(doc);
      if (!sensitive) continue;
      const labels = podLabels(doc.object);
      const covered = policies.some((p) => sameNamespace(p.object, doc.object) && selectorMatches(get(p.object, 'spec', 'podSelector') ?? {}, labels));
      if (!covered) {
        const ns = str(get(doc.object, 'metadata', 'namespace'));
        out.push({ doc, path: sensitive.path, message: `workload ${sensitive.why} and no NetworkPolicy${ns ? ` in namespace ${ns}` : ''} selects its pods` });
      }
    }
    return out;
  },
};
