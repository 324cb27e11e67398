// Kubernetes objects for a new service, cut from an existing service of the repository where there
// is one (so labels, limits, probes and security settings match it) and from defaults otherwise.
import type { PatternProfile } from '../patterns';
import type { ServiceSpec } from '../schemas';
import { arr, get, rec, str } from '../yaml-docs';
import { tokenRegExp } from '../survey';

type Obj = Record<string, unknown>;

export const DEFAULT_RESOURCES = { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } };

/** The tag of an image reference (`latest` when it has none, `digest` when pinned by digest). */
export function imageTag(image: string): string {
  if (image.includes('@')) return 'digest';
  const last = image.split('/').pop() ?? image;
  const i = last.lastIndexOf(':');
  return i >= 0 ? last.slice(i + 1) : 'latest';
}

const clone = <T>(v: T): T => structuredClone(v);

/** Replace the exemplar's name by the new one in every string value (not in keys). */
export function renameValues<T>(value: T, from: string, to: string): T {
  const re = tokenRegExp(from);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return v.replace(re, to);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

const VERSION_KEYS = ['app.kubernetes.io/version', 'version'];
export const PROBES = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;

const containerPortNames = (c: unknown): string[] => arr(get(c, 'ports')).flatMap((p) => (typeof get(p, 'name') === 'string' ? [get(p, 'name') as string] : []));

/**
 * A probe copied from another service, made true for the new one: an exec probe runs the other
 * service's tooling (e.g. `podcli check http localhost:9898/healthz`) and becomes an HTTP probe of
 * the same path on the new port; HTTP and TCP probes move to the new port. Without a port there is
 * nothing to probe: undefined (the caller drops it and says so).
 */
export function rewriteProbe(
  probe: Obj | undefined, to: { port: number | undefined; portName: string | undefined; oldPort: unknown; oldPortNames: readonly string[] },
): Obj | undefined {
  if (!probe) return undefined;
  if (!to.port) return undefined;
  const { exec, httpGet, tcpSocket, grpc, ...timing } = probe;
  const target: number | string = to.portName ?? to.port;
  if (rec(httpGet)) return { ...timing, httpGet: { ...(rec(httpGet) ?? {}), port: target } };
  if (rec(tcpSocket) || rec(grpc)) return { ...timing, tcpSocket: { port: target } };
  const command = arr(get(exec, 'command')).map(String).join(' ');
  const path = /\b(?:localhost|127\.0\.0\.1)(?::\d+)?(\/[^\s'"]*)/.exec(command)?.[1] ?? '/healthz';
  return { ...timing, httpGet: { path, port: target } };
}

/** Labels for the new service, in the repository's convention. */
export function serviceLabels(spec: ServiceSpec, profile: PatternProfile, exemplarLabels?: Record<string, string>, exemplarName?: string): Record<string, string> {
  const version = imageTag(spec.image);
  if (exemplarLabels && exemplarName) {
    const labels = renameValues(exemplarLabels, exemplarName, spec.service);
    for (const k of VERSION_KEYS) if (k in labels) labels[k] = version;
    return labels;
  }
  if (profile.labelConvention === 'app') return { app: spec.service, version, component: 'backend' };
  return { 'app.kubernetes.io/name': spec.service, 'app.kubernetes.io/version': version, 'app.kubernetes.io/component': 'backend' };
}

/** The selector subset of the labels: the name key only, so that a version bump keeps selecting. */
export function selectorLabels(labels: Record<string, string>, service: string): Record<string, string> {
  for (const key of ['app.kubernetes.io/name', 'app']) if (labels[key] === service) return { [key]: service };
  const first = Object.entries(labels).find(([, v]) => v === service);
  return first ? { [first[0]]: first[1] } : { 'app.kubernetes.io/name': service };
}

function probe(style: PatternProfile['livenessProbe'], fallbackPath: string, port: number | string): Obj {
  const p: Obj = { httpGet: { path: style?.path ?? fallbackPath, port: typeof style?.port === 'string' ? style.port : port } };
  if (style?.initialDelaySeconds !== undefined) p.initialDelaySeconds = style.initialDelaySeconds;
  p.periodSeconds = style?.periodSeconds ?? 10;
  return p;
}

/**
 * The Deployment: the exemplar's with name, labels, image and port replaced and its own env,
 * volumes and annotations dropped; or a complete default.
 */
export function deploymentFor(spec: ServiceSpec, profile: PatternProfile, exemplar?: { name: string; object: Obj }): Obj {
  const port = spec.port;
  if (exemplar) {
    const d = clone(exemplar.object);
    const from = exemplar.name;
    const podLabels = (rec(get(d, 'spec', 'template', 'metadata', 'labels')) ?? {}) as Record<string, string>;
    const labels = serviceLabels(spec, profile, podLabels, from);
    const metaLabels = serviceLabels(spec, profile, (rec(get(d, 'metadata', 'labels')) ?? podLabels) as Record<string, string>, from);
    const meta = rec(d.metadata) ?? {};
    d.metadata = { ...renameValues({ name: meta.name, ...(meta.namespace ? { namespace: meta.namespace } : {}) }, from, spec.service), labels: metaLabels };
    const specObj = rec(d.spec) ?? {};
    specObj.selector = { matchLabels: renameValues(rec(get(specObj, 'selector', 'matchLabels')) ?? selectorLabels(labels, spec.service), from, spec.service) };
    const tmpl = rec(specObj.template) ?? {};
    tmpl.metadata = { labels };
    const podSpec = rec(tmpl.spec) ?? {};
    delete podSpec.volumes;
    delete podSpec.initContainers;
    if (podSpec.serviceAccountName) podSpec.serviceAccountName = renameValues(podSpec.serviceAccountName, from, spec.service);
    const containers = arr(podSpec.containers).slice(0, 1).map((c) => {
      const container = clone(rec(c) ?? {});
      const oldPort = get(container, 'ports', 0, 'containerPort');
      container.name = spec.service;
      container.image = spec.image;
      delete container.env;
      delete container.envFrom;
      delete container.volumeMounts;
      delete container.args;
      delete container.command;
      const portName = str(get(container, 'ports', 0, 'name'));
      if (port) container.ports = [portName ? { name: portName, containerPort: port } : { containerPort: port }];
      else delete container.ports;
      for (const key of PROBES) {
        const probe = rewriteProbe(rec(container[key]), { port, portName, oldPort, oldPortNames: containerPortNames(c) });
        if (probe) container[key] = probe;
        else delete container[key];
      }
      container.resources ??= clone(profile.resources ?? DEFAULT_RESOURCES);
      return container;
    });
    podSpec.containers = containers;
    tmpl.spec = podSpec;
    specObj.template = tmpl;
    d.spec = specObj;
    return d;
  }
  const labels = serviceLabels(spec, profile);
  const container: Obj = { name: spec.service, image: spec.image };
  if (port) container.ports = [{ name: 'http', containerPort: port }];
  container.resources = clone(profile.resources ?? DEFAULT_RESOURCES);
  if (port) {
    container.livenessProbe = probe(profile.livenessProbe, '/healthz', 'http');
    container.readinessProbe = probe(profile.readinessProbe, '/readyz', 'http');
  }
  container.securityContext = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: spec.service, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: selectorLabels(labels, spec.service) },
      template: {
        metadata: { labels },
        spec: { automountServiceAccountToken: false, securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }, containers: [container] },
      },
    },
  };
}

export function serviceFor(spec: ServiceSpec, labels: Record<string, string>, exemplar?: { name: string; object: Obj; containerPort?: unknown; containerPortName?: unknown }): Obj {
  if (exemplar) {
    const s = renameValues(clone(exemplar.object), exemplar.name, spec.service);
    s.metadata = { ...(rec(s.metadata) ?? {}), labels: { ...labels } };
    delete (s.metadata as Obj).annotations;
    // The new container declares one port (the exemplar's first, renumbered): a port routed to another
    // of the exemplar's named ports (its grpc, its metrics) would have no endpoints.
    const all = arr(get(s, 'spec', 'ports'));
    const kept = all.filter((p) => typeof get(p, 'targetPort') !== 'string' || get(p, 'targetPort') === exemplar.containerPortName);
    const ports = (kept.length ? kept : all.slice(0, 1)).map((p) => {
      const port = clone(rec(p) ?? {});
      if (typeof port.targetPort === 'number' || port.targetPort === undefined || port.targetPort !== exemplar.containerPortName) port.targetPort = spec.port;
      // A Service exposing the container port as is keeps doing so.
      if (exemplar.containerPort !== undefined && port.port === exemplar.containerPort && spec.port) port.port = spec.port;
      return port;
    });
    (s.spec as Obj).ports = ports;
    return s;
  }
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: spec.service, labels: { ...labels } },
    spec: { selector: selectorLabels(labels, spec.service), ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  };
}

export function configMapFor(spec: ServiceSpec, labels: Record<string, string>): Obj {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${spec.service}-config`, labels: { ...labels } }, data: { ...spec.config } };
}

/** A Secret template with placeholders only: real values never enter the repository in plaintext. */
export function secretTemplateFor(spec: ServiceSpec, labels: Record<string, string>): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `${spec.service}-secrets`, labels: { ...labels } },
    type: 'Opaque',
    stringData: Object.fromEntries((spec.secrets ?? []).map((k) => [k, `<set ${k} and encrypt with sops>`])),
  };
}

export function ingressFor(spec: ServiceSpec, labels: Record<string, string>, servicePort: number | string, ingressClass?: string): Obj {
  const host = spec.ingress?.host ?? `${spec.service}.example.com`;
  const backendPort = typeof servicePort === 'number' ? { number: servicePort } : { name: servicePort };
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: spec.service, labels: { ...labels } },
    spec: {
      ingressClassName: ingressClass ?? 'nginx',
      rules: [{ host, http: { paths: [{ path: spec.ingress?.path ?? '/', pathType: 'Prefix', backend: { service: { name: spec.service, port: backendPort } } }] } }],
    },
  };
}

/** Ingress only from the same namespace (and the ingress controller when exposed); egress left open. */
/** Where cluster DNS answers: CoreDNS keeps kube-dns's name and label in kube-system on every distribution we know. */
export const DNS = { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } };

/** The REVIEW line that says what the egress allows and what the person must add. */
export const egressReview = (service: string): string =>
  `egress allowed to DNS (k8s-app: kube-dns in kube-system, port 53) and to the pods of its own namespace only: add the databases and APIs ${service} calls elsewhere`;

export function networkPolicyFor(spec: ServiceSpec, labels: Record<string, string>, exposed: boolean, ingressNamespace = 'ingress-nginx'): Obj {
  const from: Obj[] = [{ podSelector: {} }];
  if (exposed) from.push({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ingressNamespace } } });
  const rule: Obj = { from };
  if (spec.port) rule.ports = [{ protocol: 'TCP', port: spec.port }];
  const dns: Obj = {
    to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': DNS.namespace } }, podSelector: { matchLabels: { ...DNS.labels } } }],
    ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
  };
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: spec.service, labels: { ...labels } },
    spec: {
      podSelector: { matchLabels: selectorLabels(labels, spec.service) },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [rule],
      egress: [dns, { to: [{ podSelector: {} }] }],
    },
  };
}
