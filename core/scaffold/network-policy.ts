// The new service's network policy in the kind its siblings use — Kubernetes NetworkPolicy, Cilium's
// CiliumNetworkPolicy or Calico's NetworkPolicy — with the same apiVersion and metadata style: ingress
// from the service's own namespace and, when it is exposed, from the ingress controller's (or the
// gateway's) namespace, on the service's port; egress to cluster DNS and its own namespace (a REVIEW
// line asks for the rest: the checklist wants both directions of a sensitive service fenced).
import type { PatternProfile, ServiceLayout } from '../patterns';
import type { ServiceSpec } from '../schemas';
import { kindOf, parseManifests, rec, str } from '../yaml-docs';
import type { Obj, PlanBuilder } from './builder';
import { DNS, networkPolicyFor, selectorLabels } from './objects';
import { inFolder, siblingsDir } from './secret-mechanism';

export type PolicyFlavour = 'kubernetes' | 'cilium' | 'calico';

export interface PolicyStyle {
  flavour: PolicyFlavour;
  /** A sibling's policy, to take apiVersion and metadata style from. */
  sample?: Obj;
  file?: string;
  why: string;
}

function flavourOf(o: Obj): PolicyFlavour | undefined {
  const api = str(o.apiVersion) ?? '';
  if (kindOf(o) === 'CiliumNetworkPolicy') return 'cilium';
  if (kindOf(o) === 'NetworkPolicy' && /projectcalico\.org\//.test(api)) return 'calico';
  if (kindOf(o) === 'NetworkPolicy' && api === 'networking.k8s.io/v1') return 'kubernetes';
  return undefined;
}

/** The policy kind of the exemplar, else of its siblings, else of the repository (by majority); plain Kubernetes when none. */
export async function policyStyle(b: PlanBuilder, profile: PatternProfile, ex: ServiceLayout | undefined): Promise<PolicyStyle> {
  const near = ex ? siblingsDir(ex) : undefined;
  const found: { flavour: PolicyFlavour; object: Obj; file: string; distance: number }[] = [];
  for (const file of [...new Set([...(profile.kinds.NetworkPolicy ?? []), ...(profile.kinds.CiliumNetworkPolicy ?? [])])]) {
    for (const d of parseManifests(file, (await b.read(file)) ?? '').docs) {
      const flavour = flavourOf(d.object);
      const distance = ex?.ownFiles.includes(file) ? 0 : inFolder(near, file) ? 1 : 2;
      if (flavour) found.push({ flavour, object: d.object, file, distance });
    }
  }
  for (const distance of [0, 1, 2]) {
    const here = found.filter((f) => f.distance === distance);
    if (!here.length) continue;
    const count = (f: PolicyFlavour) => here.filter((x) => x.flavour === f).length;
    const flavour = (['cilium', 'calico', 'kubernetes'] as const).slice().sort((a, c) => count(c) - count(a))[0] as PolicyFlavour;
    const pick = here.find((x) => x.flavour === flavour) as (typeof here)[number];
    const where = distance === 0 ? `${ex?.name}'s own` : distance === 1 ? `the services beside ${ex?.name}` : 'the repository';
    return { flavour, sample: pick.object, file: pick.file, why: `${where} ${count(flavour) === 1 ? 'has' : 'have'} ${count(flavour)} ${pick.object.kind} (${pick.object.apiVersion}), e.g. ${pick.file}` };
  }
  return { flavour: 'kubernetes', why: 'no network policy in the repository to learn from: a Kubernetes NetworkPolicy' };
}

/** Metadata in the sample's style: its namespace field and label keys only where it has them. */
function metadataFor(style: PolicyStyle, name: string, labels: Record<string, string>): Obj {
  const sample = rec(style.sample?.metadata);
  if (!sample) return { name, labels: { ...labels } };
  return { name, ...(rec(sample.labels) ? { labels: { ...labels } } : {}) };
}

export function policyFor(style: PolicyStyle, spec: ServiceSpec, labels: Record<string, string>, exposed: boolean, ingressNamespace = 'ingress-nginx'): Obj {
  if (style.flavour === 'kubernetes') {
    const p = networkPolicyFor(spec, labels, exposed, ingressNamespace);
    if (style.sample) p.metadata = metadataFor(style, spec.service, labels);
    return p;
  }
  const selector = selectorLabels(labels, spec.service);
  const apiVersion = str(style.sample?.apiVersion) ?? (style.flavour === 'cilium' ? 'cilium.io/v2' : 'projectcalico.org/v3');
  if (style.flavour === 'cilium') {
    // A namespaced Cilium policy's empty endpoint selector means the policy's own namespace.
    const fromEndpoints: Obj[] = [{}];
    if (exposed) fromEndpoints.push({ matchLabels: { 'k8s:io.kubernetes.pod.namespace': ingressNamespace } });
    const rule: Obj = { fromEndpoints };
    if (spec.port) rule.toPorts = [{ ports: [{ port: String(spec.port), protocol: 'TCP' }] }];
    const dns: Obj = {
      toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': DNS.namespace, ...Object.fromEntries(Object.entries(DNS.labels).map(([k, v]) => [`k8s:${k}`, v])) } }],
      toPorts: [{ ports: [{ port: '53', protocol: 'ANY' }] }],
    };
    const egress = [dns, { toEndpoints: [{}] }];
    return { apiVersion, kind: 'CiliumNetworkPolicy', metadata: metadataFor(style, spec.service, labels), spec: { endpointSelector: { matchLabels: selector }, ingress: [rule], egress } };
  }
  // Calico: a source selector without a namespace selector means the policy's own namespace.
  const rule = (source: Obj): Obj => ({ action: 'Allow', protocol: 'TCP', source, ...(spec.port ? { destination: { ports: [spec.port] } } : {}) });
  const ingress = [rule({ selector: 'all()' })];
  if (exposed) ingress.push(rule({ namespaceSelector: `kubernetes.io/metadata.name == '${ingressNamespace}'` }));
  const expr = Object.entries(selector).map(([k, v]) => `${k} == '${v}'`).join(' && ');
  const dnsTo: Obj = { selector: Object.entries(DNS.labels).map(([k, v]) => `${k} == '${v}'`).join(' && '), namespaceSelector: `kubernetes.io/metadata.name == '${DNS.namespace}'`, ports: [53] };
  const egress = [
    { action: 'Allow', protocol: 'UDP', destination: dnsTo },
    // A copy: one object in two places would be written as a YAML anchor and alias.
    { action: 'Allow', protocol: 'TCP', destination: structuredClone(dnsTo) },
    { action: 'Allow', destination: { selector: 'all()' } },
  ];
  return { apiVersion, kind: 'NetworkPolicy', metadata: metadataFor(style, spec.service, labels), spec: { selector: expr, types: ['Ingress', 'Egress'], ingress, egress } };
}

/** The REVIEW line naming the policy's kind and where it was learnt. */
export const policyReview = (style: PolicyStyle): string => `${style.sample ? `${String(style.sample.kind)} as ${style.why}` : style.why}`;
