// A long-running container that serves traffic needs a liveness probe (restart when stuck) and a
// readiness probe (no traffic before it can serve). What no Service sends traffic to has nothing to
// be ready for; a sidecar rides on its main container's probes; Jobs and init containers finish.
// A service mesh's proxy (istio-proxy, linkerd-proxy), even when a patch adds it by hand, is the
// mesh's to probe: its readiness is the mesh's own (Istio's /healthz/ready on 15021, Linkerd's /ready on 4191).
import { arr, get } from '../yaml-docs';
import { containers, isLongRunning, workloads, type ContainerRef, MESH_PROXIES } from './k8s';
import { servicesTargeting } from './facts';
import type { ComplianceCheck, ServiceFact, Violation } from './types';


const PROBES = ['livenessProbe', 'readinessProbe'];
const absentProbes = (c: ContainerRef): string[] => PROBES.filter((p) => c.container[p] === undefined || c.container[p] === null);

/** Whether a container declares a port a Service sends to (by name, or by number). */
const serves = (c: ContainerRef, services: readonly ServiceFact[]): boolean => {
  const targets = services.flatMap((s) => s.targetPorts);
  return arr(c.container.ports).some((p) => targets.includes(get(p, 'name') as string) || targets.includes(get(p, 'containerPort') as number));
};

/** The main containers: those a Service's targetPort (or port) names, else the first. */
function mainContainers(list: readonly ContainerRef[], services: readonly ServiceFact[]): ContainerRef[] {
  const named = list.filter((c) => serves(c, services));
  return named.length ? named : list.slice(0, 1);
}

export const missingProbes: ComplianceCheck = {
  id: 'missing-probes',
  severity: 'error',
  help:
    'Each container of a Deployment, StatefulSet, DaemonSet, ReplicaSet, Pod or workload CRD (Argo Rollout, …) that a Service ' +
    'sends traffic to defines livenessProbe and readinessProbe. A Service targets the pods when its selector matches their ' +
    'labels: one rendered in the same namespace, else one written anywhere in the repository. Exempt: pods no Service ' +
    'targets (workers, controllers: nothing waits on their readiness); a sidecar when the main container has both probes ' +
    '(main: the container whose port a Service\'s targetPort — or port — names by name or number, else the first container); ' +
    'init containers; Jobs and CronJobs; and a mesh\'s proxy (istio-proxy, linkerd-proxy), which the mesh probes by its own ' +
    'rules. Use the probe paths and ports similar services use. kube-score pod-probes (also Service-targeted pods only); ' +
    'kube-linter no-liveness-probe / no-readiness-probe and Polaris livenessProbeMissing / readinessProbeMissing (every ' +
    'container of every workload).',
  check(docs, ctx) {
    const out: Violation[] = [];
    for (const doc of workloads(docs)) {
      if (!isLongRunning(doc.object)) continue;
      const services = servicesTargeting(doc, docs, ctx.repo?.services);
      if (services.length === 0) continue;
      const list = containers(doc.object, { init: false }).filter((c) => !MESH_PROXIES.has(c.name));
      const main = mainContainers(list, services);
      const mainProbed = main.every((c) => absentProbes(c).length === 0);
      for (const c of list) {
        if (mainProbed && !main.includes(c)) continue;
        const absent = absentProbes(c);
        if (absent.length) out.push({ doc, path: c.path, message: `container "${c.name}" has no ${absent.join(' and no ')}` });
      }
    }
    return out;
  },
};
