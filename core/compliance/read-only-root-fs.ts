// A writable root filesystem lets an intruder drop tools into the container; writable paths belong
// in emptyDir volumes.
import { get } from '../yaml-docs';
import { containerViolations } from './k8s';
import type { ComplianceCheck } from './types';

export const readOnlyRootFs: ComplianceCheck = {
  id: 'read-only-root-fs',
  severity: 'warning',
  help: 'Set securityContext.readOnlyRootFilesystem: true on each container and mount emptyDir volumes where it writes.',
  check(docs) {
    return containerViolations(docs, (c) =>
      get(c.container, 'securityContext', 'readOnlyRootFilesystem') === true ? undefined : `container "${c.name}" has a writable root filesystem`);
  },
};
