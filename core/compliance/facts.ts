// The facts about ServiceAccounts and Services a check reads, taken alike from a rendering and from
// every document written in the repository (validation/targets.ts gathers the latter once per run).
import { arr, get, str } from '../yaml-docs';
import { kind, name, namespace, podLabels, mapSelectorMatches, sameNamespace, stringMap, type Obj } from './k8s';
import type { RenderedDoc, ServiceAccountFact, ServiceFact } from './types';

export function serviceAccountFact(o: Obj): ServiceAccountFact | undefined {
  if (kind(o) !== 'ServiceAccount' || str(o.apiVersion) !== 'v1') return undefined;
  const ns = namespace(o);
  const automount = o.automountServiceAccountToken;
  return { name: name(o), ...(ns ? { namespace: ns } : {}), ...(typeof automount === 'boolean' ? { automountServiceAccountToken: automount } : {}) };
}

/** A Service with a selector (one without routes to endpoints made by hand: it targets no pod). */
export function serviceFact(o: Obj): ServiceFact | undefined {
  if (kind(o) !== 'Service' || str(o.apiVersion) !== 'v1') return undefined;
  const selector = stringMap(get(o, 'spec', 'selector'));
  if (Object.keys(selector).length === 0) return undefined;
  const ns = namespace(o);
  const targetPorts = arr(get(o, 'spec', 'ports')).flatMap((p) => {
    const t = get(p, 'targetPort') ?? get(p, 'port');
    return typeof t === 'string' || typeof t === 'number' ? [t] : [];
  });
  return { name: name(o), ...(ns ? { namespace: ns } : {}), selector, targetPorts };
}

export const factsOf = <T>(objects: readonly Obj[], fact: (o: Obj) => T | undefined): T[] => objects.flatMap((o) => { const f = fact(o); return f ? [f] : []; });

/**
 * A document written without a namespace (kustomize or the applier sets it) may land in any; one
 * written with a namespace is in that one only.
 */
const mayShareNamespace = (fact: { namespace?: string }, o: Obj): boolean => fact.namespace === undefined || fact.namespace === namespace(o);

/**
 * The Services that send traffic to a workload's pods: rendered beside it in its namespace, else
 * written anywhere in the repository with a selector its pod labels satisfy.
 */
export function servicesTargeting(workload: RenderedDoc, docs: readonly RenderedDoc[], repo: readonly ServiceFact[] | undefined): ServiceFact[] {
  const labels = podLabels(workload.object);
  const rendered = factsOf(docs.filter((d) => sameNamespace(d.object, workload.object)).map((d) => d.object), serviceFact)
    .filter((s) => mapSelectorMatches(s.selector, labels));
  if (rendered.length) return rendered;
  return (repo ?? []).filter((s) => mayShareNamespace(s, workload.object) && mapSelectorMatches(s.selector, labels));
}

/** The ServiceAccount a pod runs as: rendered beside it first, else written in the repository. */
export function serviceAccountFor(workload: RenderedDoc, account: string, docs: readonly RenderedDoc[], repo: readonly ServiceAccountFact[] | undefined): ServiceAccountFact | undefined {
  const rendered = factsOf(docs.map((d) => d.object), serviceAccountFact).find((a) => a.name === account && (a.namespace ?? '') === (namespace(workload.object) ?? ''));
  const named = (repo ?? []).filter((a) => a.name === account);
  return rendered ?? named.find((a) => a.namespace !== undefined && a.namespace === namespace(workload.object)) ?? named.find((a) => a.namespace === undefined);
}
