// Without a seccomp profile a container may make every system call the kernel offers; the runtime's
// default profile blocks the rarely needed, often exploited ones. Pod Security "restricted" requires one.
// `Unconfined` is the absence of a profile by name, and a container's setting wins over its pod's.
import { get, str } from '../yaml-docs';
import { containerViolations, podSpec } from './k8s';
import type { ComplianceCheck } from './types';

const profileType = (securityContext: unknown): string | undefined => str(get(securityContext, 'seccompProfile', 'type'));

export const seccompProfileMissing: ComplianceCheck = {
  id: 'seccomp-profile-missing',
  severity: 'warning',
  help:
    'Each container runs under a seccomp profile: securityContext.seccompProfile.type RuntimeDefault (or Localhost with a ' +
    'profile) on the pod or the container; the container\'s setting wins over the pod\'s. Fires when neither sets one, and ' +
    'when the one in effect is Unconfined (a container Unconfined under a RuntimeDefault pod included). Fix: set ' +
    'seccompProfile.type: RuntimeDefault on the pod and remove Unconfined. kube-score container-seccomp-profile; checkov ' +
    'CKV_K8S_31; kube-linter has none by default.',
  check(docs) {
    return containerViolations(docs, (c, doc) => {
      const own = profileType(c.container.securityContext);
      const type = own ?? profileType(podSpec(doc.object)?.securityContext);
      if (type === undefined) return `container "${c.name}" has no seccomp profile (pod or container securityContext.seccompProfile)`;
      if (type !== 'Unconfined') return undefined;
      return own !== undefined
        ? { message: `container "${c.name}" runs Unconfined by seccomp (its securityContext.seccompProfile.type: Unconfined)`, field: ['securityContext', 'seccompProfile', 'type'] }
        : `container "${c.name}" runs Unconfined by seccomp (the pod's securityContext.seccompProfile.type: Unconfined)`;
    });
  },
};
