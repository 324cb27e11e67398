// NET_RAW is in the runtimes' default set: it lets a process forge packets and spoof its neighbours
// on the node's network (ARP and DNS spoofing), and it is rarely needed (ping works without it).
import { containerViolations } from './k8s';
import { capsAdded, capsDropped } from './capabilities';
import type { ComplianceCheck } from './types';

export const netRawNotDropped: ComplianceCheck = {
  id: 'net-raw-not-dropped',
  severity: 'warning',
  help:
    'A container that does not drop NET_RAW (securityContext.capabilities.drop holds neither NET_RAW nor ALL), or adds it back, ' +
    'keeps the runtime\'s default raw-socket capability: packet forging and ARP/DNS spoofing of other pods on the node. Fires ' +
    'once per container, init containers included. Not fired: a container that drops ALL or NET_RAW and does not add it back. ' +
    'A privileged container is judged like any other (it keeps every capability whatever drop says; privileged-container ' +
    'reports that part). Names are compared case-insensitively, with or without CAP_ (checkov CKV_K8S_28 wants NET_RAW as ' +
    'written). Fix: capabilities: {drop: [ALL]} and add back what the process needs. kube-linter drop-net-raw-capability; ' +
    'Polaris insecureCapabilities (which wants ALL, or a list of fifteen, dropped); checkov CKV_K8S_28.',
  check(docs) {
    return containerViolations(docs, (c) => {
      if (capsAdded(c.container).includes('NET_RAW')) return { message: `container "${c.name}" adds NET_RAW`, field: ['securityContext', 'capabilities', 'add'] };
      const dropped = capsDropped(c.container);
      return dropped.includes('NET_RAW') || dropped.includes('ALL')
        ? undefined
        : { message: `container "${c.name}" does not drop NET_RAW (capabilities.drop: [ALL])`, field: ['securityContext'] };
    });
  },
};
