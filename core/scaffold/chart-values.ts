// The values of a new HelmRelease of a chart the repository's services share, cut from the
// exemplar's: the image, port, replicas, environment and route from the spec; what belonged to the
// exemplar alone (its volumes, config maps, arguments, load balancer addresses) left out and said.
// Knows the bjw-s app-template shape (controllers / service / route / ingress); any other chart
// gets its image, replica count and service port replaced where the usual keys hold them.
import type { ServiceSpec } from '../schemas';
import { rec } from '../yaml-docs';
import { renameValues } from './objects';
import { checklistGap, passingResources, passingSecurityContext } from './checklist';

type Usual = Parameters<typeof passingResources>[1];

type Obj = Record<string, unknown>;
const clone = <T>(v: T): T => structuredClone(v);

/** `ghcr.io/a/b:1.2@sha256:…` → repository and tag (digest kept on the tag, as app-template takes it). */
export function splitImage(image: string): { repository: string; tag?: string } {
  const at = image.indexOf('@');
  const digest = at >= 0 ? image.slice(at) : '';
  const ref = at >= 0 ? image.slice(0, at) : image;
  const colon = ref.lastIndexOf(':');
  const hasTag = colon > ref.lastIndexOf('/');
  const repository = hasTag ? ref.slice(0, colon) : ref;
  const tag = `${hasTag ? ref.slice(colon + 1) : digest ? '' : 'latest'}${digest}`;
  return tag ? { repository, tag } : { repository };
}

export interface MappedValues {
  values: Obj;
  /** What was left out or decided alone, for `# REVIEW:` comments and assumptions. */
  reviews: string[];
}

const firstKey = (o: Obj | undefined): string | undefined => (o ? Object.keys(o)[0] : undefined);

/** An app-template probe made true for the new port: custom probe specs move to it. */
function probeFor(probe: unknown, port: number | undefined): Obj | undefined {
  const p = rec(probe);
  if (!p || !port) return undefined;
  // An exec probe ran the exemplar's own tooling: the chart's default probe (the service's port) instead.
  if (rec(rec(p.spec)?.exec)) return { enabled: p.enabled ?? true };
  const out = clone(p);
  const http = rec(rec(out.spec)?.httpGet);
  const tcp = rec(rec(out.spec)?.tcpSocket);
  if (http) http.port = port;
  if (tcp) tcp.port = port;
  return out;
}

function appTemplate(ex: Obj, exName: string, spec: ServiceSpec, replicas: number | undefined, usual: Usual): MappedValues {
  const reviews: string[] = [];
  const exControllers = rec(ex.controllers) ?? {};
  const cKey = firstKey(exControllers) ?? 'main';
  const controller = clone(rec(exControllers[cKey]) ?? {});
  const exContainers = rec(controller.containers) ?? {};
  const aKey = firstKey(exContainers) ?? 'app';
  const exApp = rec(exContainers[aKey]) ?? {};
  const app: Obj = { image: splitImage(spec.image) };
  if (spec.config && Object.keys(spec.config).length) app.env = { ...spec.config };
  const probes = rec(exApp.probes);
  if (probes && spec.port) {
    app.probes = Object.fromEntries(Object.entries(probes).flatMap(([k, v]) => { const p = probeFor(v, spec.port); return p ? [[k, p]] : []; }));
    reviews.push(`probes follow ${exName}'s, on port ${spec.port}: check the paths`);
    if (Object.values(probes).some((v) => rec(rec(rec(v)?.spec)?.exec))) reviews.push(`${exName}'s exec probes ran its own tooling: the chart's default probes instead`);
  }
  if (exApp.securityContext !== undefined) {
    const sc = passingSecurityContext(exApp.securityContext);
    app.securityContext = sc.securityContext;
    if (sc.gap) reviews.push(`${exName}'s container ${sc.gap}, which the checklist forbids: a restricted security context instead`);
  }
  const { resources, filled } = passingResources(exApp.resources, usual);
  app.resources = resources;
  if (exApp.resources !== undefined) reviews.push(`resources copied from ${exName}: size them for ${spec.service}`);
  if (filled.length) reviews.push(checklistGap(exName, filled));
  const dropped = Object.keys(exApp).filter((k) => !['image', 'env', 'probes', 'securityContext', 'resources'].includes(k));
  if (dropped.length) reviews.push(`${exName}'s container ${dropped.join(', ')} not copied`);
  const newController: Obj = {};
  for (const k of ['type', 'strategy', 'pod']) if (controller[k] !== undefined) newController[k] = clone(controller[k]);
  // A service with a port is a long-running one: the exemplar's cron job or job shape is its own.
  if (spec.port && (controller.type === 'cronjob' || controller.type === 'job')) {
    delete newController.type;
    delete rec(newController.pod)?.restartPolicy;
    reviews.push(`${exName} is a ${String(controller.type)}; ${spec.service} serves port ${spec.port}: a Deployment`);
  }
  if (replicas !== undefined) newController.replicas = replicas;
  newController.containers = { [aKey]: app };
  const values: Obj = { controllers: { [cKey === exName ? spec.service : cKey]: newController } };
  if (ex.defaultPodOptions !== undefined) values.defaultPodOptions = clone(ex.defaultPodOptions);
  const exService = rec(ex.service);
  const sKey = firstKey(exService);
  if (spec.port && sKey) {
    const s = rec(exService?.[sKey]) ?? {};
    const portName = firstKey(rec(s.ports)) ?? 'http';
    const svc: Obj = { ports: { [portName]: { port: spec.port } } };
    if (typeof s.controller === 'string') svc.controller = s.controller === exName ? spec.service : s.controller;
    values.service = { [sKey]: svc };
    if (s.type !== undefined || s.annotations !== undefined) reviews.push(`${exName}'s service type and annotations (addresses, DNS names) not copied: a ClusterIP Service`);
  }
  if (spec.port && !sKey) {
    // The chart's service shape: one named `app`, on the controller, the spec's port.
    values.service = { app: { controller: cKey === exName ? spec.service : cKey, ports: { http: { port: spec.port } } } };
    reviews.push(`${exName} defines no service in its values: a ClusterIP Service app on port ${spec.port}`);
  }
  for (const kind of ['route', 'ingress'] as const) {
    const exRoutes = rec(ex[kind]);
    const rKey = firstKey(exRoutes);
    if (!spec.ingress || !rKey || values.route || values.ingress) continue;
    const r = renameValues(clone(rec(exRoutes?.[rKey]) ?? {}), exName, spec.service);
    if (kind === 'route') r.hostnames = [spec.ingress.host];
    else r.hosts = [{ host: spec.ingress.host, paths: [{ path: spec.ingress.path ?? '/', service: { identifier: sKey ?? 'app', port: firstKey(rec(rec(exService?.[sKey ?? ''])?.ports)) ?? 'http' } }] }];
    values[kind] = { [rKey]: r };
  }
  if (spec.ingress && !values.route && !values.ingress) reviews.push(`${exName} has no route or ingress to mirror: ${spec.ingress.host} is not exposed; add one`);
  const left = Object.keys(ex).filter((k) => !['controllers', 'defaultPodOptions', 'service', 'route', 'ingress'].includes(k));
  if (left.length) reviews.push(`${exName}'s ${left.join(', ')} not copied (they were its own)`);
  return { values, reviews };
}

/** Any other chart: the exemplar's values with the image, replicas and service port replaced. */
function generic(ex: Obj, exName: string, spec: ServiceSpec, replicas: number | undefined): MappedValues {
  const values = renameValues(clone(ex), exName, spec.service);
  const image = rec(values.image);
  if (image && typeof image.repository === 'string') Object.assign(image, splitImage(spec.image));
  else values.image = spec.image;
  if (replicas !== undefined) values[typeof values.replicas === 'number' ? 'replicas' : 'replicaCount'] = replicas;
  const service = rec(values.service);
  if (service && spec.port && typeof service.port === 'number') service.port = spec.port;
  return { values, reviews: [`values copied from ${exName} with the image${spec.port ? ', port' : ''} and replicas replaced: check the rest`] };
}

export function valuesFor(exemplarValues: Obj, exName: string, spec: ServiceSpec, replicas: number | undefined, usual?: Usual): MappedValues {
  return rec(exemplarValues.controllers) ? appTemplate(exemplarValues, exName, spec, replicas, usual) : generic(exemplarValues, exName, spec, replicas);
}
