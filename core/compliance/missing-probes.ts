// A long-running container needs a liveness probe (restart when stuck) and a readiness probe (no
// traffic before it can serve). Jobs and init containers finish, so they are left alone. A service
// mesh's proxy (istio-proxy, linkerd-proxy), even when a patch adds it by hand, is the mesh's to probe:
// its readiness is the mesh's own (Istio's /healthz/ready on 15021, Linkerd's /ready on 4191).
import { containerViolations } from './k8s';
import type { ComplianceCheck } from './types';

/** Sidecars a service mesh runs and probes itself. */
const MESH_PROXIES = new Set(['istio-proxy', 'linkerd-proxy']);

export const missingProbes: ComplianceCheck = {
  id: 'missing-probes',
  severity: 'error',
  help:
    'Each container of a Deployment, StatefulSet, DaemonSet, ReplicaSet, Pod or workload CRD (Argo Rollout, …) defines livenessProbe and ' +
    'readinessProbe. Use the probe paths and ports similar services use. Exempt: init containers, Jobs, and a mesh\'s proxy ' +
    '(istio-proxy, linkerd-proxy), which the mesh probes by its own rules.',
  check(docs) {
    return containerViolations(docs, (c) => {
      if (MESH_PROXIES.has(c.name)) return undefined;
      const absent = ['livenessProbe', 'readinessProbe'].filter((p) => c.container[p] === undefined || c.container[p] === null);
      return absent.length ? `container "${c.name}" has no ${absent.join(' and no ')}` : undefined;
    }, { init: false, longRunning: true });
  },
};
