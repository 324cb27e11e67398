// A privileged container, or one allowed to gain privileges, is root on the node in all but name.
import { get } from '../yaml-docs';
import { containerViolations } from './k8s';
import type { ComplianceCheck } from './types';

export const privilegedContainer: ComplianceCheck = {
  id: 'privileged-container',
  severity: 'warning',
  help: 'Do not set securityContext.privileged: true or allowPrivilegeEscalation: true; grant the single capability needed instead.',
  check(docs) {
    return containerViolations(docs, (c) => {
      if (get(c.container, 'securityContext', 'privileged') === true) return { message: `container "${c.name}" is privileged`, field: ['securityContext', 'privileged'] };
      return get(c.container, 'securityContext', 'allowPrivilegeEscalation') === true
        ? { message: `container "${c.name}" allows privilege escalation`, field: ['securityContext', 'allowPrivilegeEscalation'] } : undefined;
    });
  },
};
