// An object written in an API version the cluster no longer serves is refused when it is applied:
// Kubernetes APIs removed by the target `--kube-version` (what Pluto and kubent report, from the
// Kubernetes deprecation guide) and Flux APIs removed by the target Flux version (fluxcd/flux2#5474
// and #5711: the v1beta1 / v2beta1 groups went in Flux 2.7, v1beta2 / v2beta2 in 2.8). Removed at the
// target: an error; removed in a later release: a warning naming it.
import { str } from '../yaml-docs';
import { kind } from './k8s';
import type { ComplianceCheck, Violation } from './types';

/**
 * The Flux minor version judged against unless `--flux-version` names one: the current release
 * (Flux 2.9, kustomize-controller 1.9.0 of 2026-06-17), as the Kubernetes default is a current one.
 */
export const DEFAULT_FLUX_VERSION = '2.9';

interface Removal {
  /** `group/version`, and the kinds it held (all of them when absent). */
  api: string;
  kinds?: readonly string[];
  /** Kubernetes (`1.22`) or Flux (`flux 2.7`) minor version that no longer serves it. */
  removedIn: string;
  use: string;
}

const K8S: readonly Removal[] = [
  { api: 'extensions/v1beta1', kinds: ['Deployment', 'DaemonSet', 'ReplicaSet', 'NetworkPolicy', 'PodSecurityPolicy'], removedIn: '1.16', use: 'apps/v1 (networking.k8s.io/v1 for NetworkPolicy)' },
  { api: 'apps/v1beta1', removedIn: '1.16', use: 'apps/v1' },
  { api: 'apps/v1beta2', removedIn: '1.16', use: 'apps/v1' },
  { api: 'extensions/v1beta1', kinds: ['Ingress'], removedIn: '1.22', use: 'networking.k8s.io/v1' },
  { api: 'networking.k8s.io/v1beta1', kinds: ['Ingress', 'IngressClass'], removedIn: '1.22', use: 'networking.k8s.io/v1' },
  { api: 'admissionregistration.k8s.io/v1beta1', kinds: ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'], removedIn: '1.22', use: 'admissionregistration.k8s.io/v1' },
  { api: 'apiextensions.k8s.io/v1beta1', removedIn: '1.22', use: 'apiextensions.k8s.io/v1' },
  { api: 'apiregistration.k8s.io/v1beta1', removedIn: '1.22', use: 'apiregistration.k8s.io/v1' },
  { api: 'authentication.k8s.io/v1beta1', removedIn: '1.22', use: 'authentication.k8s.io/v1' },
  { api: 'authorization.k8s.io/v1beta1', removedIn: '1.22', use: 'authorization.k8s.io/v1' },
  { api: 'certificates.k8s.io/v1beta1', removedIn: '1.22', use: 'certificates.k8s.io/v1' },
  { api: 'coordination.k8s.io/v1beta1', removedIn: '1.22', use: 'coordination.k8s.io/v1' },
  { api: 'rbac.authorization.k8s.io/v1beta1', removedIn: '1.22', use: 'rbac.authorization.k8s.io/v1' },
  { api: 'scheduling.k8s.io/v1beta1', removedIn: '1.22', use: 'scheduling.k8s.io/v1' },
  { api: 'storage.k8s.io/v1beta1', kinds: ['CSIDriver', 'CSINode', 'StorageClass', 'VolumeAttachment'], removedIn: '1.22', use: 'storage.k8s.io/v1' },
  { api: 'batch/v1beta1', kinds: ['CronJob'], removedIn: '1.25', use: 'batch/v1' },
  { api: 'discovery.k8s.io/v1beta1', removedIn: '1.25', use: 'discovery.k8s.io/v1' },
  { api: 'events.k8s.io/v1beta1', removedIn: '1.25', use: 'events.k8s.io/v1' },
  { api: 'autoscaling/v2beta1', removedIn: '1.25', use: 'autoscaling/v2' },
  { api: 'policy/v1beta1', kinds: ['PodDisruptionBudget'], removedIn: '1.25', use: 'policy/v1' },
  { api: 'policy/v1beta1', kinds: ['PodSecurityPolicy'], removedIn: '1.25', use: 'Pod Security admission' },
  { api: 'node.k8s.io/v1beta1', removedIn: '1.25', use: 'node.k8s.io/v1' },
  { api: 'autoscaling/v2beta2', removedIn: '1.26', use: 'autoscaling/v2' },
  { api: 'flowcontrol.apiserver.k8s.io/v1beta1', removedIn: '1.26', use: 'flowcontrol.apiserver.k8s.io/v1' },
  { api: 'storage.k8s.io/v1beta1', kinds: ['CSIStorageCapacity'], removedIn: '1.27', use: 'storage.k8s.io/v1' },
  { api: 'flowcontrol.apiserver.k8s.io/v1beta2', removedIn: '1.29', use: 'flowcontrol.apiserver.k8s.io/v1' },
  { api: 'flowcontrol.apiserver.k8s.io/v1beta3', removedIn: '1.32', use: 'flowcontrol.apiserver.k8s.io/v1' },
];

const FLUX: readonly Removal[] = [
  { api: 'source.toolkit.fluxcd.io/v1beta1', removedIn: 'flux 2.7', use: 'source.toolkit.fluxcd.io/v1' },
  { api: 'kustomize.toolkit.fluxcd.io/v1beta1', removedIn: 'flux 2.7', use: 'kustomize.toolkit.fluxcd.io/v1' },
  { api: 'helm.toolkit.fluxcd.io/v2beta1', removedIn: 'flux 2.7', use: 'helm.toolkit.fluxcd.io/v2' },
  { api: 'image.toolkit.fluxcd.io/v1beta1', removedIn: 'flux 2.7', use: 'image.toolkit.fluxcd.io/v1' },
  { api: 'notification.toolkit.fluxcd.io/v1beta1', removedIn: 'flux 2.7', use: 'notification.toolkit.fluxcd.io/v1 (Receiver) or v1beta3 (Alert, Provider)' },
  { api: 'source.toolkit.fluxcd.io/v1beta2', removedIn: 'flux 2.8', use: 'source.toolkit.fluxcd.io/v1' },
  { api: 'kustomize.toolkit.fluxcd.io/v1beta2', removedIn: 'flux 2.8', use: 'kustomize.toolkit.fluxcd.io/v1' },
  { api: 'helm.toolkit.fluxcd.io/v2beta2', removedIn: 'flux 2.8', use: 'helm.toolkit.fluxcd.io/v2' },
  { api: 'image.toolkit.fluxcd.io/v1beta2', removedIn: 'flux 2.9', use: 'image.toolkit.fluxcd.io/v1' },
];

/** `1.22.3` or `v1.22` → [1, 22]. */
const minor = (v: string): [number, number] => {
  const m = /(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
};
export const atOrAfter = (a: string, b: string): boolean => { const [x, y] = minor(a); const [p, q] = minor(b); return x > p || (x === p && y >= q); };

export const removedApiVersion: ComplianceCheck = {
  id: 'removed-api-version',
  severity: 'warning',
  help:
    'Write each object in an API version the cluster serves. Error when the version is removed at the target Kubernetes ' +
    '(`--kube-version`) or Flux version (`--flux-version`, default the current release; Flux 2.7 removed the v1beta1 / v2beta1 groups, 2.8 the v1beta2 / v2beta2 ones; ' +
    '`flux migrate -f .` rewrites them); warning when a later release removes it. Exempt: nothing; CRDs of other projects are not judged.',
  check(docs, ctx) {
    const out: Violation[] = [];
    const kube = ctx.kubeVersion ?? '1.34';
    const flux = ctx.fluxVersion ?? DEFAULT_FLUX_VERSION;
    for (const doc of docs) {
      const api = str(doc.object.apiVersion);
      const k = kind(doc.object);
      const r = [...K8S, ...FLUX].find((x) => x.api === api && (!x.kinds || x.kinds.includes(k)));
      if (!r) continue;
      const isFlux = r.removedIn.startsWith('flux ');
      const gone = atOrAfter(isFlux ? flux : kube, r.removedIn.replace('flux ', ''));
      const target = isFlux ? `Flux ${flux}` : `Kubernetes ${kube}`;
      const release = isFlux ? `Flux ${r.removedIn.slice(5)}` : `Kubernetes ${r.removedIn}`;
      out.push({
        doc, path: ['apiVersion'], severity: gone ? 'error' : 'warning',
        message: `${k} ${api} ${gone ? `is not served by ${target} (removed in ${release})` : `is deprecated: removed in ${release}`}; use ${r.use}`,
      });
    }
    return out;
  },
};
