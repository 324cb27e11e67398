// A hostPath volume reaches past the container onto the node's file system: node state, other
// pods' data and, written to, a way to change the node itself.
import { hostPathVolumes } from './host-path';
import type { ComplianceCheck } from './types';

export const hostPathVolume: ComplianceCheck = {
  id: 'host-path-volume',
  severity: 'warning',
  help:
    'A pod with a hostPath volume reads (and unless every mount is readOnly, writes) the node\'s files: node credentials, ' +
    'other pods\' volumes, the runtime. Pod Security "baseline" forbids hostPath entirely. Fires once per hostPath volume of ' +
    'a workload or Pod, whatever its path; host-path-writable and container-runtime-socket say more about the worst ones. ' +
    'Exempt: nothing by path — a node agent (log shipper, CSI driver, CNI) that needs one carries the suppression annotation ' +
    'with its reason. Fix: an emptyDir, a PersistentVolumeClaim, a ConfigMap or a projected volume. kube-linter ' +
    'sensitive-host-mounts fires only on /, /boot, /dev, /etc, /lib, /proc, /sys, /usr (ours on any path, as Pod Security ' +
    'baseline does); Polaris hostPathSet (any hostPath, as ours); checkov has no general one (CKV_K8S_27 is the Docker socket only).',
  check(docs) {
    return hostPathVolumes(docs).map((v) => ({ doc: v.doc, path: [...v.at, 'hostPath'], message: `volume "${v.name}" mounts the node's ${v.path || '(no path)'} (hostPath)` }));
  },
};
