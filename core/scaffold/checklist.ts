// What the checklist asks of a workload, where the exemplar the scaffold copies falls short: resources
// (`resource-requests-limits`: cpu and memory, requests and limits, what was copied stays, what is
// missing comes from the values most services here use, never a limit below its request), a security
// context that is not privileged, the pod settings of the security checks, and probes.
import { rec, str } from '../yaml-docs';
import { DEFAULT_RESOURCES } from './objects';
import { capsDropped } from '../compliance/capabilities';

type Obj = Record<string, unknown>;
type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };

const UNITS: Record<string, number> = {
  m: 1e-3, '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40,
};

/** A Kubernetes quantity (`100m`, `1.5`, `256Mi`) as a number, or undefined when it is not one. */
export function quantity(v: unknown): number | undefined {
  const m = /^([0-9.]+)(m|k|K|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(String(v ?? '').trim());
  return m ? Number(m[1]) * (UNITS[m[2] ?? ''] ?? 1) : undefined;
}

const FIELDS = [['requests', 'cpu'], ['requests', 'memory'], ['limits', 'cpu'], ['limits', 'memory']] as const;

/**
 * `copied` with every missing request and limit filled; `filled` names what was missing (empty when
 * the copy already passes). `usual` is the repository's most common resources.
 */
export function passingResources(copied: unknown, usual: Resources | undefined): { resources: Obj; filled: string[] } {
  const src = rec(copied) ?? {};
  const out: Obj = structuredClone(src);
  const filled: string[] = [];
  for (const [group, res] of FIELDS) {
    const g = (rec(out[group]) ?? {}) as Obj;
    if (g[res] !== undefined && g[res] !== null && g[res] !== '') continue;
    let value = usual?.[group]?.[res] ?? DEFAULT_RESOURCES[group][res];
    const other = str(rec(out[group === 'limits' ? 'requests' : 'limits'])?.[res]) ?? String(rec(out[group === 'limits' ? 'requests' : 'limits'])?.[res] ?? '');
    const [v, o] = [quantity(value), quantity(other)];
    // A limit is never below the request it bounds, nor a request above its limit.
    if (v !== undefined && o !== undefined && (group === 'limits' ? v < o : v > o)) value = other;
    g[res] = value;
    out[group] = g;
    filled.push(`${group}.${res}`);
  }
  return { resources: out, filled };
}

/** What a review and an assumption say when the exemplar's resources fail the checklist. */
export const checklistGap = (exName: string, filled: string[]): string =>
  `${exName} sets no resources.${filled.join(', resources.')}, which the checklist requires (resource-requests-limits): filled from the values services here use; size them`;

/** What the checklist forbids in a container's security context, if anything, for a review line. */
function securityGap(sc: Obj): string | undefined {
  if (sc.privileged === true) return 'runs privileged';
  if (sc.allowPrivilegeEscalation === true) return 'allows privilege escalation';
  const add = rec(sc.capabilities)?.add;
  if (Array.isArray(add) && add.length) return `adds capabilities ${add.join(', ')}`;
  return undefined;
}

/** The exemplar's container security context, or a restricted one where it runs privileged or adds capabilities. */
export function passingSecurityContext(copied: unknown): { securityContext: Obj; gap?: string } {
  const sc = structuredClone(rec(copied) ?? {});
  const gap = securityGap(sc);
  if (!gap) return { securityContext: sc };
  return { securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } }, gap };
}

/**
 * The pod settings the checklist asks for that the exemplar's Deployment lacks, added in place:
 * no privilege escalation, a read-only root filesystem, non-root (and not root's group), the runtime's
 * seccomp profile (not Unconfined), NET_RAW dropped (drop ALL), no API token for the default service account. Returns what was added, for a review line.
 */
export function hardenPod(deployment: Obj): string[] {
  const pod = rec(rec(rec(deployment.spec)?.template)?.spec);
  const container = rec(Array.isArray(pod?.containers) ? pod.containers[0] : undefined);
  if (!pod || !container) return [];
  const added: string[] = [];
  const podSc = (rec(pod.securityContext) ?? {}) as Obj;
  const sc = (rec(container.securityContext) ?? {}) as Obj;
  const set = (o: Obj, k: string, v: unknown, what: string) => { if (o[k] === undefined) { o[k] = v; added.push(what); } };
  set(sc, 'allowPrivilegeEscalation', false, 'allowPrivilegeEscalation: false');
  set(sc, 'readOnlyRootFilesystem', true, 'readOnlyRootFilesystem: true');
  const nonRoot = [podSc, sc].some((x) => x.runAsNonRoot === true || (typeof x.runAsUser === 'number' && x.runAsUser > 0));
  if (!nonRoot) set(podSc, 'runAsNonRoot', true, 'runAsNonRoot: true');
  const seccomp = str(rec(sc.seccompProfile)?.type) ?? str(rec(podSc.seccompProfile)?.type);
  if (seccomp === undefined) set(podSc, 'seccompProfile', { type: 'RuntimeDefault' }, 'seccompProfile RuntimeDefault');
  if (seccomp === 'Unconfined') {
    delete sc.seccompProfile;
    podSc.seccompProfile = { type: 'RuntimeDefault' };
    added.push('seccompProfile RuntimeDefault instead of Unconfined');
  }
  if ((typeof sc.runAsGroup === 'number' ? sc.runAsGroup : podSc.runAsGroup) === 0) {
    delete sc.runAsGroup;
    delete podSc.runAsGroup;
    added.push('no runAsGroup: 0 (the image\'s group)');
  }
  const caps = (rec(sc.capabilities) ?? {}) as Obj;
  if (!capsDropped({ securityContext: sc }).some((c) => c === 'ALL' || c === 'NET_RAW')) {
    sc.capabilities = { ...caps, drop: [...(Array.isArray(caps.drop) ? caps.drop : []), 'ALL'] };
    added.push('capabilities drop ALL');
  }
  const account = str(pod.serviceAccountName) ?? str(pod.serviceAccount);
  if ((account === undefined || account === 'default') && pod.automountServiceAccountToken !== false) {
    pod.automountServiceAccountToken = false;
    added.push('automountServiceAccountToken: false');
  }
  if (Object.keys(sc).length) container.securityContext = sc;
  if (Object.keys(podSc).length) pod.securityContext = podSc;
  return added;
}

/** HTTP probes for a container the exemplar left without any; returns whether it added them. */
export function probesIfMissing(container: Obj, port: number | undefined, paths: { liveness?: string; readiness?: string }): boolean {
  if (!port || container.livenessProbe !== undefined || container.readinessProbe !== undefined) return false;
  const target = str(rec(Array.isArray(container.ports) ? container.ports[0] : undefined)?.name) ?? port;
  container.livenessProbe = { httpGet: { path: paths.liveness ?? '/healthz', port: target }, periodSeconds: 10 };
  container.readinessProbe = { httpGet: { path: paths.readiness ?? '/readyz', port: target }, periodSeconds: 10 };
  return true;
}
