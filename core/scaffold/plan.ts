// The scaffold implementer's planning: from a service spec, the change set of one phase, mirroring
// how the repository's existing services are laid out. Deterministic; reads through a RepoReader.
import { posix } from 'node:path';
import type { ImplementContext, RepoReader } from '../implementer';
import type { PatternProfile } from '../patterns';
import type { ChangeSet, Phase } from '../schemas';
import { refPaths } from '../repo-model';
import { get, kindOf, parseManifests, rec, str } from '../yaml-docs';
import { exemplarObject, includeInKustomization, layoutFor, PlanBuilder, relRef, ScaffoldError, type Layout, type Obj } from './builder';
import { addToList, editObject, listEntries, renameInYaml, renderManifest, withoutOwnConfiguration } from './edits';
import {
  configMapFor, deploymentFor, egressReview, ingressFor, PROBES, renameValues, selectorLabels, serviceFor, imageTag,
} from './objects';
import { planOverlays } from './overlays';
import { replicaCounts } from './environments';
import { planReleasePhase } from './helm-release';
import { planServiceSecret } from './secrets';
import { planGitops } from './gitops';
import { policyFor, policyReview, policyStyle } from './network-policy';
import { checklistGap, hardenPod, passingResources, passingSecurityContext, probesIfMissing } from './checklist';
import { ingressTls, planBudget, servedInProduction, severalInProduction, spreadPods } from './availability';

export { layoutFor, ScaffoldError } from './builder';

async function planBase(b: PlanBuilder, l: Layout, ctx: ImplementContext): Promise<void> {
  const { spec, exemplar: ex } = l;
  const exDeployment = ex && !ex.helmRelease ? await exemplarObject(b.repo, ex.deploymentFile, 'Deployment', ex.name) : undefined;
  const deployment = deploymentFor(spec, ctx.profile, ex && exDeployment ? { name: ex.name, object: exDeployment } : undefined);
  const reviews: string[] = [];
  if (exDeployment && ex) {
    reviews.push(`resources and security settings copied from ${ex.name}; size them for ${spec.service}`);
    const container = get(deployment, 'spec', 'template', 'spec', 'containers', 0) as Obj | undefined;
    const { resources, filled } = passingResources(container?.resources, ctx.profile.resources);
    if (container && filled.length) {
      container.resources = resources;
      reviews.push(checklistGap(ex.name, filled));
      b.assume(checklistGap(ex.name, filled), l.fileFor('Deployment'));
    }
    if (container && probesIfMissing(container, spec.port, { liveness: ctx.profile.livenessProbe?.path, readiness: ctx.profile.readinessProbe?.path })) {
      reviews.push(`${ex.name} has no probes: HTTP probes on port ${spec.port}, check the paths`);
    }
    const hardened = hardenPod(deployment);
    if (hardened.length) {
      const why = `${ex.name} sets no ${hardened.join(', ')}, which the checklist asks for: set for ${spec.service} (check that it runs so)`;
      reviews.push(why);
      b.assume(why, l.fileFor('Deployment'));
    }
    const sc = passingSecurityContext(container?.securityContext);
    if (container?.securityContext !== undefined && sc.gap) {
      container.securityContext = sc.securityContext;
      const why = `${ex.name}'s container ${sc.gap}, which the checklist forbids: a restricted security context instead`;
      reviews.push(why);
      b.assume(why, l.fileFor('Deployment'));
    }
    const probes = copiedProbes(exDeployment);
    if (probes.length && spec.port) reviews.push(`${probes.join(', ')} of ${ex.name} rewritten for port ${spec.port}${probes.some((p) => p.includes('exec')) ? ' (its exec probes ran its own tooling: now HTTP probes of the same path)' : ''}: check the paths`);
  } else {
    reviews.push('no existing Deployment to learn from: default resources, probes and security settings');
  }
  if (ex?.helmRelease) {
    // Each service has a chart of its own: there is none for this one, so plain manifests in the same folders and namespace.
    const ns = await exemplarNamespace(b, ex);
    if (ns) (deployment.metadata as Obj).namespace = ns;
    b.assume(`${ex.name} is deployed by a chart of its own (${ex.helmRelease.chart ?? ex.helmRelease.sourceRef ?? '?'}); no chart exists for ${spec.service}: plain manifests laid out like ${ex.name}${ns ? `, in namespace ${ns}` : ''}`, l.fileFor('Deployment'));
  }
  if (!spec.port) reviews.push('no port in the spec: no container port, probes or Service');
  const counts = replicaCounts(spec);
  if (l.exemplar && !l.exemplar.overlays.length && counts.length) {
    ((deployment.spec as Obj) ?? {}).replicas = Math.max(...counts);
    if (counts.length > 1) b.assume(`replicas ${JSON.stringify(spec.replicas)} differ per environment, but ${l.exemplar.name} has no per-environment overlays: set to ${Math.max(...counts)} in the base`, l.fileFor('Deployment'));
  }
  if (imageTag(spec.image) === 'latest') reviews.push('the image has no tag: pin a version');
  const spread = spreadPods(deployment, ex?.name, spec.service, severalInProduction(l, ctx.profile));
  if (spread) {
    reviews.push(spread);
    b.assume(spread, l.fileFor('Deployment'));
  }
  const depFile = l.fileFor('Deployment');
  b.write(depFile, renderManifest([deployment], reviews), `Deployment of ${spec.service}`);
  b.dependencies.push({ kind: 'image', description: `image ${spec.image} must be built and pushed` });
  if (!ex) {
    b.assume(`no service to learn the layout from: ${spec.service} follows the default layout (base in ${l.baseDir}, one overlay folder per environment)`, depFile);
  }

  // The base kustomization: the exemplar's, renamed, listing what exists so far.
  const kfile = posix.join(l.baseDir, 'kustomization.yaml');
  const exKfile = ex ? posix.join(ex.baseDir, 'kustomization.yaml') : undefined;
  if (ex && ex.baseDir === l.baseDir) {
    await includeInKustomization(b, l.baseDir, depFile, `list ${spec.service} in the shared base`);
  } else if (exKfile && (await b.read(exKfile)) !== undefined && ex) {
    const own = withoutOwnConfiguration(renameInYaml(await b.mustRead(exKfile), ex.name, spec.service));
    if (own.dropped.length) b.assume(`${ex.name}'s ${own.dropped.join(', ')} not copied: they configure ${ex.name}`, kfile);
    let text = own.text;
    const listed = new Set(refPaths(ex.baseDir, parseManifests(exKfile, await b.mustRead(exKfile)).docs[0]?.object ?? {}));
    const like = b.mirrors.get(l.baseDir);
    text = text.replace(/^resources:\n(\s+- .*\n)*/m, 'resources:\n');
    text = addToList(text, 'resources', relRef(l.baseDir, depFile), undefined, like);
    // Namespaces the exemplar owns (named after it) come along.
    for (const own of ex.ownFiles.filter((f) => listed.has(f) && f !== ex.deploymentFile)) {
      const docs = parseManifests(own, (await b.read(own)) ?? '').docs;
      if (docs.length && docs.every((d) => kindOf(d.object) === 'Namespace')) {
        const target = l.mapPath(own);
        b.write(target, renameInYaml(await b.mustRead(own), ex.name, spec.service), `Namespace of ${spec.service}`);
        text = addToList(text, 'resources', relRef(l.baseDir, target), undefined, like);
      }
    }
    b.write(kfile, text, `base kustomization of ${spec.service}`);
  } else {
    await includeInKustomization(b, l.baseDir, depFile, `base kustomization of ${spec.service}`);
  }
  await planBudget(b, l, ctx.profile, (rec(get(deployment, 'spec', 'template', 'metadata', 'labels')) ?? {}) as Record<string, string>);
}

/** The probes of an exemplar Deployment's first container, named with their kind (`livenessProbe (exec)`). */
function copiedProbes(d: Obj): string[] {
  const c = get(d, 'spec', 'template', 'spec', 'containers', 0);
  return PROBES.flatMap((k) => {
    const p = rec(get(c, k));
    return p ? [`${k} (${Object.keys(p).find((x) => ['exec', 'httpGet', 'tcpSocket', 'grpc'].includes(x)) ?? '?'})`] : [];
  });
}

/** The namespace of the exemplar's release, renamed when it is named after the exemplar. */
async function exemplarNamespace(b: PlanBuilder, ex: NonNullable<Layout['exemplar']>): Promise<string | undefined> {
  const release = await exemplarObject(b.repo, ex.deploymentFile, 'HelmRelease', ex.name);
  const ns = str(get(release, 'spec', 'targetNamespace')) ?? str(get(release, 'metadata', 'namespace'));
  return ns ? renameValues(ns, ex.name, b.service) : undefined;
}

/** The pod labels of the new Deployment; with `meta`, its own labels over them (what the Service and others carry). */
function labelsOf(deploymentText: string | undefined, file: string, meta = false): Record<string, string> {
  const d = parseManifests(file, deploymentText ?? '').docs.find((x) => kindOf(x.object) === 'Deployment')?.object;
  return { ...(rec(get(d, 'spec', 'template', 'metadata', 'labels')) ?? {}), ...(meta ? rec(get(d, 'metadata', 'labels')) ?? {} : {}) } as Record<string, string>;
}

async function planConfig(b: PlanBuilder, l: Layout, ctx: ImplementContext): Promise<void> {
  const { spec } = l;
  const depFile = l.fileFor('Deployment');
  const depText = await b.read(depFile);
  const labels = labelsOf(depText, depFile);
  const envFrom: Obj[] = [];
  if (spec.config && Object.keys(spec.config).length) {
    const file = l.fileFor('ConfigMap');
    b.write(file, renderManifest([configMapFor(spec, labels)]), `configuration of ${spec.service}`);
    await includeInKustomization(b, l.baseDir, file, `list the ConfigMap of ${spec.service}`);
    envFrom.push({ configMapRef: { name: `${spec.service}-config` } });
  }
  const secret = await planServiceSecret(b, l, ctx, labels);
  if (secret) envFrom.push({ secretRef: { name: secret } });
  if (envFrom.length && depText) {
    const next = editObject(depText, (o) => kindOf(o) === 'Deployment', (o) => {
      const c = get(o, 'spec', 'template', 'spec', 'containers', 0) as Obj | undefined;
      if (c) c.envFrom = envFrom;
      return o;
    });
    b.write(depFile, next, `environment of ${spec.service} from its ConfigMap/Secret`);
  }
}

async function planNetwork(b: PlanBuilder, l: Layout, ctx: ImplementContext): Promise<void> {
  const { spec, exemplar: ex } = l;
  const depFile = l.fileFor('Deployment');
  const labels = labelsOf(await b.read(depFile), depFile);
  let servicePort: number | string = 80;
  if (spec.port) {
    const exSvcFile = ex?.ownFiles.find((f) => ctx.profile.kinds.Service?.includes(f));
    const exSvc = ex && exSvcFile ? await exemplarObject(b.repo, exSvcFile, 'Service', ex.name) : undefined;
    const exDep = ex ? await exemplarObject(b.repo, ex.deploymentFile, 'Deployment', ex.name) : undefined;
    const exPort = get(exDep, 'spec', 'template', 'spec', 'containers', 0, 'ports', 0, 'containerPort');
    const exPortName = get(exDep, 'spec', 'template', 'spec', 'containers', 0, 'ports', 0, 'name');
    const svc = serviceFor(spec, labels, ex && exSvc ? { name: ex.name, object: exSvc, containerPort: exPort, containerPortName: exPortName } : undefined);
    // The Service carries the Deployment's labels (its component, part-of), as the exemplar's does.
    if (ex && exSvc) (svc.metadata as Obj).labels = labelsOf(await b.read(depFile), depFile, true);
    servicePort = (get(svc, 'spec', 'ports', 0, 'port') as number | undefined) ?? 80;
    const file = l.fileFor('Service');
    b.write(file, renderManifest([svc]), `Service of ${spec.service}`);
    await includeInKustomization(b, l.baseDir, file, `list the Service of ${spec.service}`);
  }
  if (spec.ingress) {
    if (!spec.port) throw new ScaffoldError('spec.ingress needs spec.port: an Ingress routes to the Service on that port');
    const file = l.fileFor('Ingress');
    const ingressClass = await existingIngressClass(b, ctx.profile);
    const ingress = ingressFor(spec, labels, servicePort, ingressClass);
    const reviews = ingressClass ? [] : ['ingress class nginx assumed: no Ingress in the repository to learn from'];
    // Served in production: TLS, as a sibling Ingress terminates it (its issuer annotations), else a certificate Secret to provide.
    if (servedInProduction(l, ctx.profile)) {
      const tls = ingressTls(spec.ingress.host, spec.service, await siblingIngress(b, ctx.profile, ex?.name));
      (ingress.spec as Obj).tls = tls.tls;
      if (Object.keys(tls.annotations).length) (ingress.metadata as Obj).annotations = tls.annotations;
      if (tls.review) {
        reviews.push(tls.review);
        b.assume(tls.review, file);
      }
    }
    b.write(file, renderManifest([ingress], reviews), `Ingress of ${spec.service}`);
    await includeInKustomization(b, l.baseDir, file, `list the Ingress of ${spec.service}`);
    b.dependencies.push({ kind: 'dns', description: `DNS record for ${spec.ingress.host}` });
  }
  if (spec.sensitive || spec.secrets?.length) {
    const file = l.fileFor('NetworkPolicy');
    const style = await policyStyle(b, ctx.profile, ex);
    const reviews = [policyReview(style), ...(spec.sensitive ? [] : ['the service reads Secrets, so it is treated as sensitive: ingress restricted to its namespace']), egressReview(spec.service)];
    b.write(file, renderManifest([policyFor(style, spec, { ...selectorLabels(labels, spec.service), ...labels }, Boolean(spec.ingress))], reviews), `NetworkPolicy of ${spec.service}`);
    await includeInKustomization(b, l.baseDir, file, `list the NetworkPolicy of ${spec.service}`);
    if (!spec.sensitive) b.assume(`${spec.service} reads Secrets: a NetworkPolicy restricts ingress to its namespace`, file);
  }
}

/** An Ingress of the repository with `tls` to mirror (the exemplar's first), and the service it belongs to. */
async function siblingIngress(b: PlanBuilder, profile: PatternProfile, exemplarName?: string): Promise<{ object: Obj; name?: string } | undefined> {
  const files = [...(profile.kinds.Ingress ?? [])].sort((x, y) => Number(Boolean(exemplarName && y.includes(exemplarName))) - Number(Boolean(exemplarName && x.includes(exemplarName))));
  for (const file of files) {
    const doc = parseManifests(file, (await b.read(file)) ?? '').docs.find((d) => kindOf(d.object) === 'Ingress' && Array.isArray(get(d.object, 'spec', 'tls')));
    if (doc) return { object: doc.object, ...(exemplarName && file.includes(exemplarName) ? { name: exemplarName } : {}) };
  }
  return undefined;
}

async function existingIngressClass(b: PlanBuilder, profile: PatternProfile): Promise<string | undefined> {
  for (const file of profile.kinds.Ingress ?? []) {
    const docs = parseManifests(file, (await b.read(file)) ?? '').docs;
    const cls = docs.map((d) => get(d.object, 'spec', 'ingressClassName')).find((c) => typeof c === 'string');
    if (typeof cls === 'string') return cls;
  }
  return undefined;
}

export async function planPhase(ctx: ImplementContext, phase: Phase, repo: RepoReader): Promise<ChangeSet> {
  const spec = ctx.input.spec;
  if (!spec) throw new ScaffoldError('the scaffold implementer needs a service spec (--spec FILE); use --implementer anthropic for free-form features');
  const layout = layoutFor(spec, ctx.profile);
  const b = new PlanBuilder(phase, repo, spec.service);
  const ex = layout.exemplar;
  const exKustomization = ex && ex.baseDir !== layout.baseDir ? await b.read(posix.join(ex.baseDir, 'kustomization.yaml')) : undefined;
  if (ex && exKustomization) b.mirrors.set(layout.baseDir, listEntries(renameInYaml(exKustomization, ex.name, spec.service), 'resources'));
  // Services that are releases of one shared chart get a release of it; the gitops phase is common.
  if (layout.exemplar?.helmRelease?.sharedChart && await planReleasePhase(b, layout, ctx, phase)) return b.result();
  switch (phase) {
    case 'base': await planBase(b, layout, ctx); break;
    case 'overlay': await planOverlays(b, layout, ctx); break;
    case 'config': await planConfig(b, layout, ctx); break;
    case 'network': await planNetwork(b, layout, ctx); break;
    case 'gitops': await planGitops(b, layout, ctx); break;
  }
  return b.result();
}

