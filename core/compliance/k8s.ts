// Reading workloads, pod templates and containers out of rendered objects, shared by the checks.
import { arr, get, rec, str } from '../yaml-docs';
import type { RenderedDoc, Violation } from './types';

export type Obj = Record<string, unknown>;

/** Kinds whose pods run until stopped; Jobs and CronJobs finish. Argo Rollouts and OpenKruise CloneSets are Deployments by another name. */
export const LONG_RUNNING_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Pod', 'Rollout', 'CloneSet']);
export const WORKLOAD_KINDS = new Set([...LONG_RUNNING_KINDS, 'Job', 'CronJob']);

/**
 * Any other kind shaped like a workload (`spec.template.spec.containers`) is one: the workload
 * CRDs of operators need no list to be checked; they run until stopped unless named a Job.
 */
const shapedLikeWorkload = (o: Obj): boolean => Array.isArray(get(o, 'spec', 'template', 'spec', 'containers'));
export const isLongRunning = (o: Obj): boolean => LONG_RUNNING_KINDS.has(kind(o)) || (!WORKLOAD_KINDS.has(kind(o)) && shapedLikeWorkload(o) && !/Job$/.test(kind(o)));

/** Path of the pod template inside a workload ([] for a Pod). */
export function podTemplatePath(o: Obj): (string | number)[] | undefined {
  switch (kind(o)) {
    case 'Pod':
      return [];
    case 'CronJob':
      return ['spec', 'jobTemplate', 'spec', 'template'];
    default:
      return WORKLOAD_KINDS.has(kind(o)) || shapedLikeWorkload(o) ? ['spec', 'template'] : undefined;
  }
}

export const kind = (o: Obj): string => str(o.kind) ?? '';
export const name = (o: Obj): string => str(get(o, 'metadata', 'name')) ?? '';
export const namespace = (o: Obj): string | undefined => str(get(o, 'metadata', 'namespace'));
/** `Kind/name`; an object named by the API server (`generateName`) shows as `Kind/prefix-*`. */
export const resourceId = (o: Obj): string => {
  const generated = str(get(o, 'metadata', 'generateName'));
  return `${kind(o) || '?'}/${name(o) || (generated ? `${generated}*` : '?')}`;
};

export function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(rec(v) ?? {})) if (typeof val === 'string') out[k] = val;
  return out;
}

export const labelsOf = (o: Obj): Record<string, string> => stringMap(get(o, 'metadata', 'labels'));

/** The pod template (metadata + spec) of a workload, the object itself for a Pod. */
export function podTemplate(o: Obj): Obj | undefined {
  const at = podTemplatePath(o);
  return at === undefined ? undefined : at.length === 0 ? o : rec(get(o, ...at));
}

/** Path of the pod spec inside a workload. */
export const podSpecPath = (o: Obj): (string | number)[] => [...(podTemplatePath(o) ?? []), 'spec'];

export const podSpec = (o: Obj): Obj | undefined => rec(podTemplate(o)?.spec);
export const podLabels = (o: Obj): Record<string, string> => stringMap(get(podTemplate(o), 'metadata', 'labels'));

export interface ContainerRef {
  container: Obj;
  name: string;
  init: boolean;
  /** Path of the container in its workload object. */
  path: (string | number)[];
}

export function containers(o: Obj, opts: { init?: boolean } = {}): ContainerRef[] {
  const spec = podSpec(o);
  if (!spec) return [];
  const base = podSpecPath(o);
  const list = (key: string, init: boolean): ContainerRef[] =>
    arr(spec[key]).flatMap((c, i) => {
      const container = rec(c);
      return container ? [{ container, name: str(container.name) ?? '?', init, path: [...base, key, i] }] : [];
    });
  return [...list('containers', false), ...(opts.init === false ? [] : list('initContainers', true))];
}

export const workloads = (docs: readonly RenderedDoc[]): RenderedDoc[] => docs.filter((d) => podSpec(d.object) !== undefined);

/** A Kubernetes label selector (matchLabels + matchExpressions) against a label set. */
export function selectorMatches(selector: unknown, labels: Record<string, string>): boolean {
  const sel = rec(selector);
  if (!sel) return false;
  for (const [k, v] of Object.entries(stringMap(sel.matchLabels))) if (labels[k] !== v) return false;
  for (const e of arr(sel.matchExpressions)) {
    const key = str(get(e, 'key')) ?? '';
    const values = arr(get(e, 'values')).map(String);
    const has = Object.prototype.hasOwnProperty.call(labels, key);
    const op = str(get(e, 'operator'));
    if (op === 'In' && !(has && values.includes(labels[key] ?? ''))) return false;
    if (op === 'NotIn' && has && values.includes(labels[key] ?? '')) return false;
    if (op === 'Exists' && !has) return false;
    if (op === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** A plain `key: value` selector (Service, ReplicationController) against a label set. */
export const mapSelectorMatches = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

export const sameNamespace = (a: Obj, b: Obj): boolean => (namespace(a) ?? '') === (namespace(b) ?? '');

/**
 * The common shape of container checks: `message` says what is wrong with one container (or
 * nothing), and each answer becomes a violation of its workload.
 */
export function containerViolations(
  docs: readonly RenderedDoc[],
  message: (c: ContainerRef, doc: RenderedDoc) => string | { message: string; field: (string | number)[] } | undefined,
  opts: { init?: boolean; longRunning?: boolean } = {},
): Violation[] {
  const out: Violation[] = [];
  for (const doc of workloads(docs)) {
    if (opts.longRunning && !isLongRunning(doc.object)) continue;
    for (const c of containers(doc.object, opts.init === false ? { init: false } : {})) {
      const m = message(c, doc);
      if (typeof m === 'string') out.push({ doc, path: c.path, message: m });
      else if (m) out.push({ doc, path: [...c.path, ...m.field], message: m.message });
    }
  }
  return out;
}

/** Sidecars a service mesh injects, probes and configures by its own rules (Istio's /healthz/ready on 15021, Linkerd's /ready on 4191). */
export const MESH_PROXIES: ReadonlySet<string> = new Set(['istio-proxy', 'linkerd-proxy']);
