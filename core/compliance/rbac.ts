// Reading RBAC objects (Roles, ClusterRoles and their bindings) out of rendered documents, and
// telling the GitOps controllers' own grants apart: Flux and Argo CD apply whatever Git says, so
// they hold cluster-wide power by design, and flagging that in every repository would be noise.
import { arr, get, str } from '../yaml-docs';
import { kind, namespace, type Obj } from './k8s';
import type { RenderedDoc, Violation } from './types';

export const ROLE_KINDS = new Set(['Role', 'ClusterRole']);
export const BINDING_KINDS = new Set(['RoleBinding', 'ClusterRoleBinding']);

const isRbac = (o: Obj): boolean => /^rbac\.authorization\.k8s\.io\//.test(str(o.apiVersion) ?? '');
export const roles = (docs: readonly RenderedDoc[]): RenderedDoc[] => docs.filter((d) => ROLE_KINDS.has(kind(d.object)) && isRbac(d.object));
export const bindings = (docs: readonly RenderedDoc[]): RenderedDoc[] => docs.filter((d) => BINDING_KINDS.has(kind(d.object)) && isRbac(d.object));

export interface Rule {
  index: number;
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
}

const strings = (v: unknown): string[] => arr(v).filter((x): x is string => typeof x === 'string');

export function rulesOf(role: Obj): Rule[] {
  return arr(role.rules).map((r, index) => ({
    index,
    apiGroups: strings(get(r, 'apiGroups')),
    resources: strings(get(r, 'resources')),
    verbs: strings(get(r, 'verbs')).map((v) => v.toLowerCase()),
    resourceNames: strings(get(r, 'resourceNames')),
    nonResourceURLs: strings(get(r, 'nonResourceURLs')),
  }));
}

/** Whether a rule reaches a resource of the core API group (`""`), by name or through `*`. */
export const coreGroup = (r: Rule): boolean => r.apiGroups.includes('') || r.apiGroups.includes('*');

/** The verbs of `wanted` (or `*`) a rule grants. */
export const grantedVerbs = (r: Rule, wanted: readonly string[]): string[] =>
  r.verbs.includes('*') ? ['*'] : wanted.filter((v) => r.verbs.includes(v));

export interface Subject { kind: string; name: string; namespace?: string }

export function subjectsOf(binding: Obj): Subject[] {
  return arr(binding.subjects).map((s) => {
    const ns = str(get(s, 'namespace'));
    return { kind: str(get(s, 'kind')) ?? '', name: str(get(s, 'name')) ?? '', ...(ns ? { namespace: ns } : {}) };
  });
}

/** Flux's appliers (bound to cluster-admin by `flux bootstrap`/`flux install`) and Argo CD's application controller. */
function gitopsController(s: Subject, bindingNamespace: string | undefined): boolean {
  if (s.kind !== 'ServiceAccount') return false;
  const ns = s.namespace ?? bindingNamespace;
  if (['kustomize-controller', 'helm-controller'].includes(s.name)) return ns === 'flux-system';
  return s.name === 'argocd-application-controller';
}

/** A binding whose every subject is a GitOps controller's own service account. */
export const gitopsControllerBinding = (binding: Obj): boolean => {
  const subjects = subjectsOf(binding);
  return subjects.length > 0 && subjects.every((s) => gitopsController(s, namespace(binding)));
};

/** The Role/ClusterRole a GitOps controller owns: Argo CD's application controller's (it applies any kind Git holds). */
export const gitopsControllerRole = (role: Obj, docs: readonly RenderedDoc[]): boolean => {
  const name = str(get(role, 'metadata', 'name')) ?? '';
  if (get(role, 'metadata', 'labels', 'app.kubernetes.io/name') === 'argocd-application-controller') return true;
  // Bound, beside it, only to a controller's service account.
  const bound = bindings(docs).filter((b) => get(b.object, 'roleRef', 'name') === name && get(b.object, 'roleRef', 'kind') === kind(role));
  return bound.length > 0 && bound.every((b) => gitopsControllerBinding(b.object));
};

/**
 * The common shape of rule checks (as containerViolations is for containers): `judge` says what is
 * wrong with one rule of a Role or ClusterRole, and at which field; the GitOps controllers' own roles
 * are left out.
 */
export function ruleViolations(docs: readonly RenderedDoc[], judge: (r: Rule, roleKind: string) => { field: string; message: string } | undefined): Violation[] {
  const out: Violation[] = [];
  for (const doc of roles(docs)) {
    if (gitopsControllerRole(doc.object, docs)) continue;
    for (const r of rulesOf(doc.object)) {
      const v = judge(r, kind(doc.object));
      if (v) out.push({ doc, path: ['rules', r.index, v.field], message: `${kind(doc.object)} rule ${r.index + 1} ${v.message}` });
    }
  }
  return out;
}
