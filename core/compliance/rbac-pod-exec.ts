// pods/exec and pods/attach open a shell in any container in reach: its Secrets, its service
// account token and its network position become the caller's.
import { coreGroup, grantedVerbs, ruleViolations } from './rbac';
import type { ComplianceCheck } from './types';

const SUBRESOURCES = ['pods/exec', 'pods/attach', 'pods/*'];

export const rbacPodExec: ComplianceCheck = {
  id: 'rbac-pod-exec',
  severity: 'warning',
  help:
    'A Role or ClusterRole rule granting create or get (or "*") on pods/exec or pods/attach (or pods/*) lets its subjects run ' +
    'commands in, or attach to, the containers in reach: their mounted Secrets and tokens follow (get suffices over the ' +
    'WebSocket upgrade kubectl uses). Fires once per such rule. Not fired: a rule whose resources are "*" (rbac-wildcard-rule ' +
    'says it), the GitOps controllers\' own roles. Fix: grant exec to people through a break-glass role, not to workloads. ' +
    'Polaris clusterrolePodExecAttach / rolePodExecAttach (and their binding forms); checkov CKV2_K8S_2 (create on pods/exec); ' +
    'kube-linter has none by default.',
  check(docs) {
    return ruleViolations(docs, (r) => {
      const sub = r.resources.filter((x) => SUBRESOURCES.includes(x));
      if (!coreGroup(r) || sub.length === 0) return undefined;
      const verbs = grantedVerbs(r, ['create', 'get']);
      return verbs.length ? { field: 'resources', message: `grants ${verbs.join(', ')} on ${sub.join(', ')}` } : undefined;
    });
  },
};
