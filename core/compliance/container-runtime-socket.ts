// The container runtime's socket answers to whoever can open it: start a privileged container,
// read any other's files. Mounting it (or the folder holding it) is root on the node.
import { hostPathVolumes } from './host-path';
import type { ComplianceCheck } from './types';

/** Runtime sockets, and the folders that hold them (a mount of the folder reaches the socket). */
const SOCKET = /^(\/var)?\/run(\/(docker|dockershim|cri-dockerd|containerd\/containerd|crio\/crio|k3s\/containerd\/containerd)\.sock|\/(docker|containerd|crio|k3s\/containerd))?$/;

export const containerRuntimeSocket: ComplianceCheck = {
  id: 'container-runtime-socket',
  severity: 'warning',
  help:
    'A hostPath volume of the container runtime\'s socket — docker.sock, dockershim.sock, cri-dockerd.sock, ' +
    'containerd/containerd.sock (k3s: /run/k3s/containerd/containerd.sock), crio/crio.sock under /var/run or /run — or of a ' +
    'folder holding one (/var/run, /run, /run/containerd, /run/crio, /run/docker, /run/k3s/containerd) gives the container ' +
    'control of every container on the node, and so of the node; readOnly does not help (a socket is written by connecting). ' +
    'Fires once per such volume. Fix: no runtime socket in workloads; image builds use rootless BuildKit or Kaniko, ' +
    'monitoring reads the kubelet\'s API. kube-linter docker-sock and checkov CKV_K8S_27 match docker.sock only; ours adds ' +
    'containerd, CRI-O and the folders. Polaris has none.',
  check(docs) {
    return hostPathVolumes(docs)
      .filter((v) => SOCKET.test(v.path))
      .map((v) => ({ doc: v.doc, path: [...v.at, 'hostPath', 'path'], message: `volume "${v.name}" mounts the container runtime's socket (${v.path})` }));
  },
};
