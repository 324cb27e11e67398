// Sharing the node's network, PID or IPC namespace lets a pod see and touch what other pods and the
// node itself do.
import { podSpec, podSpecPath, workloads } from './k8s';
import type { ComplianceCheck, Violation } from './types';

const FIELDS = ['hostNetwork', 'hostPID', 'hostIPC'] as const;

export const hostNamespaces: ComplianceCheck = {
  id: 'host-namespaces',
  severity: 'warning',
  help: 'Leave hostNetwork, hostPID and hostIPC unset (false) unless the workload is a node agent that truly needs them.',
  check(docs) {
    const out: Violation[] = [];
    for (const doc of workloads(docs)) {
      const shared = FIELDS.filter((f) => podSpec(doc.object)?.[f] === true);
      if (shared[0]) out.push({ doc, path: [...podSpecPath(doc.object), shared[0]], message: `pod shares the node's namespaces: ${shared.join(', ')}` });
    }
    return out;
  },
};
