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

const POLICY_KINDS = ['NetworkPolicy', 'CiliumNetworkPolicy', 'CiliumClusterwideNetworkPolicy'];

/**
 * A Calico selector expression (`app == 'x' && has(tier)`, `all()`) against pod labels. Terms this
 * does not know are given the benefit of the doubt: the policy counts as selecting.
 */
export function calicoSelects(expr: string, labels: Record<string, string>): boolean {
  return expr.split('&&').map((t) => t.trim()).every((t) => {
    if (t === 'all()' || t === '') return true;
    const eq = /^([\w./-]+)\s*(==|!=)\s*['"]([^'"]*)['"]$/.exec(t);
    if (eq) return (labels[eq[1] as string] === eq[3]) === (eq[2] === '==');
    const has = /^(!)?\s*has\(([\w./-]+)\)$/.exec(t);
    if (has) return (has[2] as string in labels) !== Boolean(has[1]);
    const inSet = /^([\w./-]+)\s+(not\s+)?in\s*\{([^}]*)\}$/.exec(t);
    if (inSet) return inSet[3]!.split(',').map((v) => v.trim().replace(/^['"]|['"]$/g, '')).includes(labels[inSet[1] as string] ?? '\0') !== Boolean(inSet[2]);
    return true;
  });
}

/** Whether a Kubernetes, Cilium or Calico policy selects pods with these labels. */
function policySelects(p: Record<string, unknown>, labels: Record<string, string>): boolean {
  const api = str(p.apiVersion) ?? '';
  if (/projectcalico\.org\//.test(api)) return calicoSelects(str(get(p, 'spec', 'selector')) ?? 'all()', labels);
  if (/^cilium\.io\//.test(api)) {
    // Cilium's selectors may carry a source prefix (`k8s:app`, `any:app`).
    const sel = rec(get(p, 'spec', 'endpointSelector'));
    const strip = (o: unknown) => Object.fromEntries(Object.entries(rec(o) ?? {}).map(([k, v]) => [k.replace(/^(k8s|any):/, ''), v]));
    return sel !== undefined && selectorMatches({ ...sel, matchLabels: strip(sel.matchLabels), matchExpressions: arr(sel.matchExpressions).map((e) => ({ ...rec(e), key: str(get(e, 'key'))?.replace(/^(k8s|any):/, '') })) }, labels);
  }
  return selectorMatches(get(p, 'spec', 'podSelector') ?? {}, labels);
}

export type Direction = 'ingress' | 'egress';

/**
 * The directions a policy restricts for the pods it selects. Kubernetes: policyTypes, else Ingress,
 * plus Egress when it has an egress section. Calico: types, else as Kubernetes but Egress alone when
 * only egress rules are given. Cilium: a direction is restricted once a rule of it (allow or deny)
 * is present, unless enableDefaultDeny turns that off.
 */
export function directions(p: Record<string, unknown>): Direction[] {
  const api = str(p.apiVersion) ?? '';
  const spec = rec(p.spec) ?? {};
  const has = (key: string) => spec[key] !== undefined && spec[key] !== null;
  const typed = (list: unknown): Direction[] | undefined =>
    Array.isArray(list) ? arr(list).map((t) => String(t).toLowerCase()).filter((t): t is Direction => t === 'ingress' || t === 'egress') : undefined;
  if (/^cilium\.io\//.test(api)) {
    const specs = [spec, ...arr(get(p, 'specs')).map((x) => rec(x) ?? {})];
    return (['ingress', 'egress'] as const).filter((d) => specs.some((s) =>
      (s[d] !== undefined || s[`${d}Deny`] !== undefined) && get(s, 'enableDefaultDeny', d) !== false));
  }
  if (/projectcalico\.org\//.test(api)) {
    return typed(spec.types) ?? (has('egress') && !has('ingress') ? ['egress'] : has('egress') ? ['ingress', 'egress'] : ['ingress']);
  }
  return typed(spec.policyTypes) ?? (has('egress') ? ['ingress', 'egress'] : ['ingress']);
}

export const missingNetworkPolicy: ComplianceCheck = {
  id: 'missing-network-policy',
  severity: 'error',
  help:
    'A workload that reads a Secret (a Secret volume, env valueFrom.secretKeyRef or envFrom.secretRef) or is labelled ' +
    'sensitivity: high must have both its ingress and its egress restricted by network policies in its namespace (rendered ' +
    'with it): Kubernetes NetworkPolicy (podSelector; policyTypes, else Ingress plus Egress when it has an egress section), ' +
    'Cilium (CiliumNetworkPolicy endpointSelector, or a CiliumClusterwideNetworkPolicy; a direction counts once it has ingress/' +
    'egress or ingressDeny/egressDeny rules) or Calico (projectcalico.org selector and types). One policy may restrict both, or ' +
    'two one each. Fires when none selects the pods, or when one direction stays open (the message says which): ingress open ' +
    'lets any pod reach the holder of the Secret, egress open lets a compromised holder send them anywhere. Workloads that are not ' +
    'sensitive are not judged. Fix: a policy whose selector matches the pod labels, with ingress from its callers and egress to ' +
    'DNS and its dependencies. kube-score pod-networkpolicy (every pod, both directions recommended); kube-linter ' +
    'non-isolated-pod, checkov CKV2_K8S_6 and Polaris missingNetworkPolicy (every pod, any policy).',
  check(docs) {
    const out: Violation[] = [];
    const policies = docs.filter((d) => POLICY_KINDS.includes(kind(d.object)));
    for (const doc of workloads(docs)) {
      const sensitive = whySensitive(doc);
      if (!sensitive) continue;
      const labels = podLabels(doc.object);
      const selecting = policies.filter((p) => (kind(p.object) === 'CiliumClusterwideNetworkPolicy' || sameNamespace(p.object, doc.object)) && policySelects(p.object, labels));
      const restricted = new Set(selecting.flatMap((p) => directions(p.object)));
      const open = (['ingress', 'egress'] as const).filter((d) => !restricted.has(d));
      if (open.length === 0) continue;
      const ns = str(get(doc.object, 'metadata', 'namespace'));
      const where = ns ? ` in namespace ${ns}` : '';
      const names = selecting.map((p) => `${kind(p.object)}/${str(get(p.object, 'metadata', 'name')) ?? '?'}`).join(', ');
      const message = selecting.length === 0
        ? `workload ${sensitive.why} and no NetworkPolicy${where} selects its pods`
        : open.length === 2
          ? `workload ${sensitive.why} and both its ingress and egress are open: ${names} select${selecting.length === 1 ? 's' : ''} its pods but restrict${selecting.length === 1 ? 's' : ''} neither`
          : `workload ${sensitive.why} and its ${open[0]} is open: ${names} restrict${selecting.length === 1 ? 's' : ''} ${open[0] === 'ingress' ? 'egress' : 'ingress'} only`;
      out.push({ doc, path: sensitive.path, message });
    }
    return out;
  },
};
