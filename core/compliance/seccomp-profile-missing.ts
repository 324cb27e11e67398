// Without a seccomp profile a container may make every system call the kernel offers; the runtime's
// default profile blocks the rarely needed, often exploited ones. Pod Security "restricted" requires one.
import { get } from '../yaml-docs';
import { containerViolations, podSpec } from './k8s';
import type { ComplianceCheck } from './types';

const hasProfile = (securityContext: unknown): boolean => typeof get(securityContext, 'seccompProfile', 'type') === 'string';

export const seccompProfileMissing: ComplianceCheck = {
  id: 'seccomp-profile-missing',
  severity: 'warning',
  help: 'Set securityContext.seccompProfile.type: RuntimeDefault on the pod (or each container).',
  check(docs) {
    return containerViolations(docs, (c, doc) =>
      hasProfile(c.container.securityContext) || hasProfile(podSpec(doc.object)?.securityContext)
        ? undefined
        : `container "${c.name}" has no seccomp profile (pod or container securityContext.seccompProfile)`);
  },
};
