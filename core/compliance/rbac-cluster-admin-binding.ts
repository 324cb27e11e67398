// A binding to the cluster-admin ClusterRole hands every permission there is to its subjects
// (within one namespace for a RoleBinding): whoever gets hold of such an identity owns the cluster.
import { get, str } from '../yaml-docs';
import { kind, name } from './k8s';
import { bindings, gitopsControllerBinding, subjectsOf } from './rbac';
import type { ComplianceCheck, Violation } from './types';

/** The API server's own binding of the system:masters group (Polaris exempts it too). */
const builtIn = (o: Record<string, unknown>): boolean =>
  name(o) === 'cluster-admin' && subjectsOf(o).every((s) => s.kind === 'Group' && s.name === 'system:masters');

export const rbacClusterAdminBinding: ComplianceCheck = {
  id: 'rbac-cluster-admin-binding',
  severity: 'warning',
  help:
    'A ClusterRoleBinding or RoleBinding whose roleRef is the ClusterRole cluster-admin gives its subjects every verb on every ' +
    'resource (a RoleBinding: within its namespace, Secrets and RBAC included), so a leaked token of one of them is the ' +
    'cluster (CIS 5.1.1). Fires on each such binding. Exempt: the GitOps controllers\' own bindings — Flux\'s ' +
    'cluster-reconciler (kustomize-controller and helm-controller in flux-system, bound by flux bootstrap) and Argo CD\'s ' +
    'argocd-application-controller — because a controller that applies whatever Git holds needs that power by design; and the ' +
    'built-in cluster-admin binding of system:masters. A Flux tenant\'s reconciler bound to cluster-admin in its namespace is ' +
    'reported: it is namespace-admin, which the platform team should see. Fix: bind a Role or ClusterRole with the verbs and ' +
    'resources the subject needs. kube-linter cluster-admin-role-binding; Polaris clusterrolebindingClusterAdmin and ' +
    'rolebindingClusterAdminClusterRole (which also fire on roles with wildcard rules: ours leave those to rbac-wildcard-rule).',
  check(docs) {
    const out: Violation[] = [];
    for (const doc of bindings(docs)) {
      const o = doc.object;
      if (get(o, 'roleRef', 'kind') !== 'ClusterRole' || get(o, 'roleRef', 'name') !== 'cluster-admin') continue;
      if (builtIn(o) || gitopsControllerBinding(o)) continue;
      const who = subjectsOf(o).map((s) => `${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}`).join(', ') || 'no subject';
      const scope = kind(o) === 'RoleBinding' ? `in namespace ${str(get(o, 'metadata', 'namespace')) ?? '(its own)'}` : 'cluster-wide';
      out.push({ doc, path: ['roleRef', 'name'], message: `binds cluster-admin ${scope} to ${who}` });
    }
    return out;
  },
};
