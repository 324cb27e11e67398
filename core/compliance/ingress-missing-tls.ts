// In production an Ingress without `tls` serves its hosts over plain HTTP: credentials and cookies in
// the clear. Some controllers terminate TLS from an annotation instead of `tls`; those say so.
import { arr, get, rec, str } from '../yaml-docs';
import { kind, stringMap } from './k8s';
import type { ComplianceCheck, Violation } from './types';

/** Annotations by which a controller or load balancer terminates TLS without the Ingress's `tls`. */
const TLS_ANNOTATIONS: Record<string, (v: string) => boolean> = {
  'alb.ingress.kubernetes.io/certificate-arn': (v) => v.trim() !== '', // AWS Load Balancer Controller, ACM certificate
  'alb.ingress.kubernetes.io/listen-ports': (v) => /HTTPS/i.test(v),
  'ingress.gcp.kubernetes.io/pre-shared-cert': (v) => v.trim() !== '', // GKE
  'networking.gke.io/managed-certificates': (v) => v.trim() !== '',
  'appgw.ingress.kubernetes.io/appgw-ssl-certificate': (v) => v.trim() !== '', // Azure Application Gateway
  'traefik.ingress.kubernetes.io/router.tls': (v) => v.trim() === 'true',
  'traefik.ingress.kubernetes.io/router.tls.certresolver': (v) => v.trim() !== '',
};
/** Ingress classes whose controller always serves HTTPS (Tailscale: certificates for the tailnet name). */
const TLS_CLASSES = new Set(['tailscale']);

/** The annotation or class by which TLS terminates without `tls`, if any. */
function tlsElsewhere(o: Record<string, unknown>): string | undefined {
  const annotations = stringMap(get(o, 'metadata', 'annotations'));
  const hit = Object.entries(TLS_ANNOTATIONS).find(([k, ok]) => annotations[k] !== undefined && ok(annotations[k] as string));
  if (hit) return hit[0];
  const cls = str(get(o, 'spec', 'ingressClassName')) ?? annotations['kubernetes.io/ingress.class'];
  return cls && TLS_CLASSES.has(cls) ? `class ${cls}` : undefined;
}

export const ingressMissingTls: ComplianceCheck = {
  id: 'ingress-missing-tls',
  severity: 'warning',
  help:
    'Production overlays only. An Ingress must terminate TLS — without it its hosts are served over plain HTTP, credentials and ' +
    'session cookies in the clear: a `spec.tls` entry (with cert-manager, its annotation plus `tls` — the annotation alone issues ' +
    'nothing). Exempt, as TLS terminating elsewhere: the AWS Load Balancer Controller\'s ' +
    '`alb.ingress.kubernetes.io/certificate-arn` (or HTTPS in listen-ports), GKE\'s `ingress.gcp.kubernetes.io/pre-shared-cert` or ' +
    '`networking.gke.io/managed-certificates`, Azure\'s `appgw.ingress.kubernetes.io/appgw-ssl-certificate`, Traefik\'s ' +
    '`traefik.ingress.kubernetes.io/router.tls: "true"` or a certresolver, and ingress class `tailscale`. An Ingress that is plain ' +
    'HTTP on purpose (behind a TLS-terminating proxy the manifests do not show) takes the suppression annotation with that reason.',
  check(docs, ctx) {
    if (!ctx.production) return [];
    const out: Violation[] = [];
    for (const doc of docs.filter((d) => kind(d.object) === 'Ingress')) {
      if (arr(get(doc.object, 'spec', 'tls')).some((t) => rec(t)) || tlsElsewhere(doc.object)) continue;
      out.push({ doc, path: ['spec'], message: 'Ingress has no tls in a production overlay: its hosts are served over plain HTTP' });
    }
    return out;
  },
};
