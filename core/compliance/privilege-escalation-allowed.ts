// A process can gain more privileges than its parent (setuid binaries, file capabilities) unless
// allowPrivilegeEscalation is false; Pod Security's restricted profile requires it. Setting it to
// true is reported by privileged-container; this reports it left unset.
import { get } from '../yaml-docs';
import { containerViolations } from './k8s';
import type { ComplianceCheck } from './types';

export const privilegeEscalationAllowed: ComplianceCheck = {
  id: 'privilege-escalation-allowed',
  severity: 'warning',
  help: 'Set securityContext.allowPrivilegeEscalation: false on every container (Pod Security "restricted" requires it).',
  check(docs) {
    return containerViolations(docs, (c) => {
      const v = get(c.container, 'securityContext', 'allowPrivilegeEscalation');
      if (v === false || v === true) return undefined; // true is privileged-container's
      return { message: `container "${c.name}" does not set allowPrivilegeEscalation: false`, field: ['securityContext'] };
    });
  },
};
