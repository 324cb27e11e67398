// Container resources that pass the checklist (`resource-requests-limits`: cpu and memory, requests
// and limits): what was copied from the exemplar stays, what it lacks is filled from the values most
// services here use (else defaults), never with a limit below its request.
import { rec, str } from '../yaml-docs';
import { DEFAULT_RESOURCES } from './objects';

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
