// A hostPort binds the port on the node itself: it limits scheduling to one pod per node and port,
// and exposes the pod outside any NetworkPolicy's view of Services.
import { arr, get } from '../yaml-docs';
import { containerViolations } from './k8s';
import type { ComplianceCheck } from './types';

export const hostPort: ComplianceCheck = {
  id: 'host-port',
  severity: 'warning',
  help: 'Do not set ports[].hostPort; expose the pod through a Service (NodePort or LoadBalancer when it must be reached from outside).',
  check(docs) {
    return containerViolations(docs, (c) => {
      const i = arr(c.container.ports).findIndex((p) => typeof get(p, 'hostPort') === 'number' && (get(p, 'hostPort') as number) > 0);
      return i < 0 ? undefined : { message: `container "${c.name}" binds hostPort ${String(get(c.container, 'ports', i, 'hostPort'))}`, field: ['ports', i, 'hostPort'] };
    });
  },
};
