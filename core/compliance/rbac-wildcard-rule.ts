// A `*` in a rule grants what exists today and whatever is added tomorrow (new verbs, new CRDs):
// nobody reviewed that grant, because it could not be read.
import { ruleViolations } from './rbac';
import type { ComplianceCheck } from './types';

export const rbacWildcardRule: ComplianceCheck = {
  id: 'rbac-wildcard-rule',
  severity: 'warning',
  help:
    'A Role or ClusterRole rule with "*" in verbs, resources or apiGroups grants every verb, resource or API group, including ' +
    'those a CRD or a Kubernetes release adds later (CIS 5.1.3). Fires once per such rule, naming the fields. A wildcard in ' +
    'resourceNames or nonResourceURLs alone does not fire. Exempt: Argo CD\'s argocd-application-controller ClusterRole (labelled ' +
    'app.kubernetes.io/name: argocd-application-controller, or bound beside it only to a GitOps controller\'s service ' +
    'account), which applies any kind Git holds by design. Fix: list the verbs, resources and groups the subject uses. ' +
    'kube-linter wildcard-in-rules; checkov CKV_K8S_49 (which reads only the first rule, counts partial wildcards such as ' +
    '*/finalizers, and exempts no controller); Polaris judges the binding instead (clusterrolebindingClusterAdmin and ' +
    'rolebindingClusterAdminRole report bindings of roles whose rules are wildcards).',
  check(docs) {
    return ruleViolations(docs, (r) => {
      const fields = (['verbs', 'resources', 'apiGroups'] as const).filter((f) => r[f].includes('*'));
      return fields.length ? { field: fields.includes('resources') ? 'resources' : fields[0] as string, message: `has "*" in ${fields.join(', ')}` } : undefined;
    });
  },
};
