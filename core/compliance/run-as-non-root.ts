// A container that may run as root turns an application bug into a node compromise more easily.
// runAsNonRoot (or a non-zero runAsUser) may be set on the pod or the container; the container wins.
// Group 0 is root's group: files the image leaves group-writable for root (most) are the process's.
import { get } from '../yaml-docs';
import { containerViolations, podSpec } from './k8s';
import type { ComplianceCheck } from './types';

function nonRoot(ctx: unknown): boolean | undefined {
  if (get(ctx, 'runAsNonRoot') === true) return true;
  const uid = get(ctx, 'runAsUser');
  if (typeof uid === 'number') return uid > 0;
  return get(ctx, 'runAsNonRoot') === false ? false : undefined;
}

const group = (ctx: unknown): number | undefined => (typeof get(ctx, 'runAsGroup') === 'number' ? get(ctx, 'runAsGroup') as number : undefined);

export const runAsNonRoot: ComplianceCheck = {
  id: 'run-as-non-root',
  severity: 'warning',
  help:
    'Set securityContext.runAsNonRoot: true (or a non-zero runAsUser) on the pod or on each container, and no runAsGroup: 0; ' +
    'the container\'s setting wins over the pod\'s. Fires when the user may be root, and (with its own message) when the ' +
    'group in effect is 0, root\'s group, which owns most of what an image leaves writable. An unset runAsGroup (the ' +
    'image\'s) does not fire. kube-linter run-as-non-root; Polaris runAsRootAllowed; kube-score ' +
    'container-security-context-user-group-id (which also wants ids above 10000); checkov CKV_K8S_23/CKV_K8S_40.',
  check(docs) {
    return containerViolations(docs, (c, doc) => {
      const pod = podSpec(doc.object)?.securityContext;
      const own = c.container.securityContext;
      if ((nonRoot(own) ?? nonRoot(pod)) !== true) return `container "${c.name}" may run as root (no runAsNonRoot: true or non-zero runAsUser)`;
      if ((group(own) ?? group(pod)) !== 0) return undefined;
      return group(own) === 0
        ? { message: `container "${c.name}" runs as group 0, root's group (its securityContext.runAsGroup: 0)`, field: ['securityContext', 'runAsGroup'] }
        : `container "${c.name}" runs as group 0, root's group (the pod's securityContext.runAsGroup: 0)`;
    });
  },
};
