// hostPath volumes of a workload's pod spec, and the containers that mount them.
import { arr, get, rec, str } from '../yaml-docs';
import { containers, podSpec, podSpecPath, workloads, type ContainerRef } from './k8s';
import type { RenderedDoc } from './types';

export interface HostPathVolume {
  doc: RenderedDoc;
  name: string;
  /** The node path, without a trailing slash (`/` stays `/`). */
  path: string;
  /** Path of the volume in the workload object. */
  at: (string | number)[];
}

export function hostPathVolumes(docs: readonly RenderedDoc[]): HostPathVolume[] {
  return workloads(docs).flatMap((doc) =>
    arr(podSpec(doc.object)?.volumes).flatMap((v, i) => {
      const hostPath = rec(get(v, 'hostPath'));
      if (!hostPath) return [];
      const raw = str(hostPath.path) ?? '';
      return [{ doc, name: str(get(v, 'name')) ?? '?', path: raw.length > 1 ? raw.replace(/\/+$/, '') : raw, at: [...podSpecPath(doc.object), 'volumes', i] }];
    }));
}

/** The containers (init ones too) mounting a volume, with the index of each mount. */
export function mountsOf(v: HostPathVolume): { c: ContainerRef; mount: Record<string, unknown>; index: number }[] {
  return containers(v.doc.object).flatMap((c) =>
    arr(c.container.volumeMounts).flatMap((m, index) => {
      const mount = rec(m);
      return mount && mount.name === v.name ? [{ c, mount, index }] : [];
    }));
}
