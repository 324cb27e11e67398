// A hostPath mounted writable lets the container change the node: plant a binary, a cron entry or
// a kubelet manifest there and it runs as root outside any container.
import { hostPathVolumes, mountsOf } from './host-path';
import type { ComplianceCheck, Violation } from './types';

export const hostPathWritable: ComplianceCheck = {
  id: 'host-path-writable',
  severity: 'warning',
  help:
    'A container that mounts a hostPath volume without readOnly: true on its volumeMount can write to the node\'s file ' +
    'system. Fires once per such mount (init containers too), at the mount. Not fired: a mount with readOnly: true, a ' +
    'hostPath volume no container mounts. Fix: readOnly: true on the volumeMount, or a volume that is not the node\'s. ' +
    'kube-linter writable-host-mount; Polaris and checkov have no equivalent.',
  check(docs) {
    const out: Violation[] = [];
    for (const v of hostPathVolumes(docs)) {
      for (const { c, mount, index } of mountsOf(v)) {
        if (mount.readOnly === true) continue;
        out.push({ doc: v.doc, path: [...c.path, 'volumeMounts', index], message: `container "${c.name}" mounts the node's ${v.path || '(no path)'} writable (volume "${v.name}", no readOnly: true)` });
      }
    }
    return out;
  },
};
