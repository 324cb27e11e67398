// Reading Secrets is reading every credential of the namespace (or the cluster): service account
// tokens, database passwords, TLS keys.
import { coreGroup, grantedVerbs, ruleViolations } from './rbac';
import type { ComplianceCheck } from './types';

const READ = ['get', 'list', 'watch'];

export const rbacSecretsRead: ComplianceCheck = {
  id: 'rbac-secrets-read',
  severity: 'warning',
  help:
    'A Role or ClusterRole rule granting get, list or watch (or "*") on secrets of the core API group lets its subjects read ' +
    'every credential in reach (CIS 5.1.2); list and watch return the values too. Fires once per such rule. Not fired: a rule ' +
    'limited by resourceNames (it reads the Secrets it names, as checkov CKV2_K8S_5 also allows), and a rule whose resources ' +
    'are "*" (reported by rbac-wildcard-rule, not twice), and the GitOps controllers\' own roles. Fix: read the Secret through ' +
    'a mounted volume instead, or name it in resourceNames. kube-linter access-to-secrets (which also counts create and delete); ' +
    'checkov CKV2_K8S_5.',
  check(docs) {
    return ruleViolations(docs, (r) => {
      if (!coreGroup(r) || !r.resources.includes('secrets') || r.resourceNames.length > 0) return undefined;
      const verbs = grantedVerbs(r, READ);
      return verbs.length ? { field: 'verbs', message: `grants ${verbs.join(', ')} on secrets` } : undefined;
    });
  },
};
