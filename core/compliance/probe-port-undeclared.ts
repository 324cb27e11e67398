// A probe on a port its container does not declare: by name it can never work (the kubelet resolves a
// named probe port among the container's own ports only and fails the probe), by number it usually
// means a typo or a stale port (the declared list says the app listens elsewhere).
import { get } from '../yaml-docs';
import { containers, MESH_PROXIES, workloads } from './k8s';
import { declaredPorts, podPorts, portRef, portText } from './ports';
import type { ComplianceCheck, Violation } from './types';

const PROBES = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;
const HANDLERS = ['httpGet', 'tcpSocket', 'grpc'] as const;

export const probePortUndeclared: ComplianceCheck = {
  id: 'probe-port-undeclared',
  severity: 'warning',
  help:
    'A liveness, readiness or startup probe (httpGet, tcpSocket or grpc) must target a port its container declares. A named port ' +
    '(`port: http`) that the container\'s own ports[] do not name is an **error**: the kubelet cannot resolve it, so the probe ' +
    'always fails (restarts for liveness, never ready for readiness). A numeric port that no container of the pod declares is a ' +
    'warning, and only when the container declares ports at all (then the probe most likely targets a stale or mistyped port; a ' +
    'container that declares none is not judged). A mesh\'s proxy (istio-proxy, linkerd-proxy) is the mesh\'s: Istio\'s injected ' +
    'proxy probes 15021 without declaring it. Fix the probe port, or add the port to the container\'s ports[].',
  check(docs) {
    const out: Violation[] = [];
    for (const doc of workloads(docs)) {
      const pod = podPorts(doc.object);
      for (const c of containers(doc.object, { init: false }).filter((x) => !MESH_PROXIES.has(x.name))) {
        const own = declaredPorts(c.container);
        for (const probe of PROBES) {
          for (const handler of HANDLERS) {
            const ref = portRef(get(c.container, probe, handler, 'port'));
            const path = [...c.path, probe, handler, 'port'];
            if (ref && 'name' in ref && !own.names.has(ref.name)) {
              out.push({ doc, path, severity: 'error', message: `container "${c.name}" ${probe} targets port ${portText(ref)}, which the container does not declare: the probe cannot resolve it` });
            } else if (ref && 'number' in ref && own.numbers.size + own.names.size > 0 && !pod.numbers.has(ref.number)) {
              out.push({ doc, path, message: `container "${c.name}" ${probe} targets port ${ref.number}, which no container of the pod declares` });
            }
          }
        }
      }
    }
    return out;
  },
};
