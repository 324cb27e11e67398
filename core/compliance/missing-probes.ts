// A long-running container needs a liveness probe (restart when stuck) and a readiness probe (no
// traffic before it can serve). Jobs and init containers finish, so they are left alone.
import { containerViolations } from './k8s';
import type { ComplianceCheck } from './types';

export const missingProbes: ComplianceCheck = {
  id: 'missing-probes',
  severity: 'error',
  help:
    'Each container of a Deployment, StatefulSet, DaemonSet, ReplicaSet, Pod or workload CRD (Argo Rollout, …) defines livenessProbe and ' +
    'readinessProbe. Use the probe paths and ports similar services use.',
  check(docs) {
    return containerViolations(docs, (c) => {
      const absent = ['livenessProbe', 'readinessProbe'].filter((p) => c.container[p] === undefined || c.container[p] === null);
      return absent.length ? `container "${c.name}" has no ${absent.join(' and no ')}` : undefined;
    }, { init: false, longRunning: true });
  },
};
