// The scaffold implementer's planning: from a service spec, the change set of one phase, mirroring
// how the repository's existing services are laid out. Deterministic; reads through a RepoReader.
import { posix } from 'node:path';
import type { ImplementContext, RepoReader } from '../implementer';
import type { PatternProfile, ServiceLayout } from '../patterns';
import type { Assumption, ChangeSet, Dependency, FileOperation, Phase, ServiceSpec } from '../schemas';
import { chooseExemplar, refPaths, tokenRegExp } from '../repo-model';
import { get, kindOf, nameOf, parseManifests, rec } from '../yaml-docs';
import { addToList, cloneListItemsNaming, editObject, renameInYaml, renderManifest } from './edits';
import {
  configMapFor, deploymentFor, ingressFor, networkPolicyFor, secretTemplateFor, selectorLabels, serviceFor, imageTag,
} from './objects';

export class ScaffoldError extends Error {
  override name = 'ScaffoldError';
}

type Obj = Record<string, unknown>;

/** Where the new service goes and how it is named: the exemplar's layout with the name replaced. */
interface Layout {
  spec: ServiceSpec;
  exemplar?: ServiceLayout;
  baseDir: string;
  /** Path of a file of the new service given the exemplar's file path (or a default name). */
  mapPath(p: string): string;
  fileFor(kind: string): string;
  environments: string[];
}

const DEFAULT_BASE = 'apps/base';

export function layoutFor(spec: ServiceSpec, profile: PatternProfile): Layout {
  const ex = chooseExemplar(profile.services);
  if (ex && ex.name === spec.service) throw new ScaffoldError(`service "${spec.service}" already exists in ${ex.deploymentFile}`);
  const mapPath = (p: string) => (ex ? p.replace(tokenRegExp(ex.name), spec.service) : p);
  const knownEnvs = ex ? [...new Set(ex.overlays.flatMap((o) => [o.env, o.name]))] : Object.keys(profile.environments);
  const environments = spec.environments ?? (knownEnvs.length ? knownEnvs : ['staging', 'production']);
  if (ex) {
    const missing = environments.filter((e) => !knownEnvs.includes(e));
    if (missing.length) {
      throw new ScaffoldError(`environment ${missing.join(', ')} has no overlay for services in this repository (found: ${knownEnvs.join(', ') || 'none'})`);
    }
  }
  const baseDir = ex ? (mapPath(ex.baseDir) !== ex.baseDir ? mapPath(ex.baseDir) : ex.baseDir) : `${DEFAULT_BASE}/${spec.service}`;
  const fileFor = (kind: string) => {
    const lower = kind.toLowerCase();
    const own = ex?.ownFiles.find((f) => posix.dirname(f) === ex.baseDir && posix.basename(f).replace(/\.ya?ml$/, '').endsWith(lower));
    if (own) return mapPath(own);
    const ext = ex ? posix.extname(ex.deploymentFile) || '.yaml' : '.yaml';
    const name = profile.fileNaming === 'name-kind' || (ex && ex.baseDir === baseDir) ? `${spec.service}-${lower}` : lower;
    return posix.join(baseDir, `${name}${ext}`);
  };
  return { spec, ...(ex ? { exemplar: ex } : {}), baseDir, mapPath, fileFor, environments };
}

class PlanBuilder {
  readonly ops: FileOperation[] = [];
  readonly assumptions: Assumption[] = [];
  readonly dependencies: Dependency[] = [];
  private readonly pending = new Map<string, string | undefined>();

  constructor(readonly phase: Phase, readonly repo: RepoReader) {}

  /** Current content, including this plan's own earlier writes. */
  async read(path: string): Promise<string | undefined> {
    return this.pending.has(path) ? this.pending.get(path) : this.repo.read(path);
  }

  /** A file the survey saw; its disappearance since then is a clear error, not a crash. */
  async mustRead(path: string): Promise<string> {
    const text = await this.read(path);
    if (text === undefined) throw new ScaffoldError(`${path} disappeared since the repository was surveyed; run again on a stable tree`);
    return text;
  }

  write(path: string, content: string, reason: string): void {
    this.pending.set(path, content);
    const existing = this.ops.findIndex((o) => o.path === path);
    const op: FileOperation = { path, action: 'write', content, phase: this.phase, reason };
    if (existing >= 0) this.ops[existing] = op;
    else this.ops.push(op);
  }

  assume(text: string, file?: string): void {
    this.assumptions.push(file ? { file, text } : { text });
  }

  result(): ChangeSet {
    return { operations: this.ops, assumptions: this.assumptions, dependencies: this.dependencies };
  }
}

async function exemplarObject(repo: RepoReader, file: string, kind: string, name: string): Promise<Obj | undefined> {
  const text = await repo.read(file);
  if (!text) return undefined;
  return parseManifests(file, text).docs.find((d) => kindOf(d.object) === kind && nameOf(d.object) === name)?.object;
}

/** Reference from a kustomization folder to a path, as kustomize expects it. */
const relRef = (fromDir: string, to: string) => posix.relative(fromDir, to) || '.';

/** Make sure `file` is listed in the resources of the kustomization of `dir` (created when missing). */
async function includeInKustomization(b: PlanBuilder, dir: string, file: string, reason: string): Promise<void> {
  const kfile = posix.join(dir, 'kustomization.yaml');
  const text = (await b.read(kfile)) ?? 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n';
  const next = addToList(text.replace(/^resources: \[\]\n/m, 'resources:\n'), 'resources', relRef(dir, file));
  if (next !== text) b.write(kfile, next, reason);
}

async function planBase(b: PlanBuilder, l: Layout, ctx: ImplementContext): Promise<void> {
  const { spec, exemplar: ex } = l;
  const exDeployment = ex ? await exemplarObject(b.repo, ex.deploymentFile, 'Deployment', ex.name) : undefined;
  const deployment = deploymentFor(spec, ctx.profile, ex && exDeployment ? { name: ex.name, object: exDeployment } : undefined);
  const reviews: string[] = [];
  if (ex) reviews.push(`resources, probes and security settings copied from ${ex.name}; size them for ${spec.service}`);
  else reviews.push('no existing service to learn from: default resources, probes and security settings');
  if (!spec.port) reviews.push('no port in the spec: no container port, probes or Service');
  if (imageTag(spec.image) === 'latest') reviews.push('the image has no tag: pin a version');
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
    let text = renameInYaml(await b.mustRead(exKfile), ex.name, spec.service);
    const listed = new Set(refPaths(ex.baseDir, parseManifests(exKfile, await b.mustRead(exKfile)).docs[0]?.object ?? {}));
    text = text.replace(/^resources:\n(\s+- .*\n)*/m, 'resources:\n');
    text = addToList(text, 'resources', relRef(l.baseDir, depFile));
    // Namespaces the exemplar owns (named after it) come along.
    for (const own of ex.ownFiles.filter((f) => listed.has(f) && f !== ex.deploymentFile)) {
      const docs = parseManifests(own, (await b.read(own)) ?? '').docs;
      if (docs.length && docs.every((d) => kindOf(d.object) === 'Namespace')) {
        const target = l.mapPath(own);
        b.write(target, renameInYaml(await b.mustRead(own), ex.name, spec.service), `Namespace of ${spec.service}`);
        text = addToList(text, 'resources', relRef(l.baseDir, target));
      }
    }
    b.write(kfile, text, `base kustomization of ${spec.service}`);
  } else {
    await includeInKustomization(b, l.baseDir, depFile, `base kustomization of ${spec.service}`);
  }
}

/** Replica patches and `replicas:` entries for the exemplar, cloned for the new service. */
function withReplicas(item: Obj, count: number | undefined): Obj {
  if (count === undefined) return item;
  if (typeof item.count === 'number') return { ...item, count };
  if (typeof item.patch === 'string') {
    return { ...item, patch: item.patch.replace(/(\/spec\/replicas\s*\n\s*value:\s*)\d+/, `$1${count}`).replace(/(replicas:\s*)\d+/, `$1${count}`) };
  }
  return item;
}

async function planOverlays(b: PlanBuilder, l: Layout, ctx: ImplementContext): Promise<void> {
  const { spec, exemplar: ex } = l;
  if (!ex) {
    for (const env of l.environments) {
      const dir = ctx.profile.environments[env]?.[0] ?? `apps/${env}`;
      await includeInKustomization(b, dir, l.baseDir, `deploy ${spec.service} in ${env}`);
      const replicas = spec.replicas?.[env];
      if (replicas !== undefined) {
        const kfile = posix.join(dir, 'kustomization.yaml');
        const text = await b.mustRead(kfile);
        const doc = parseManifests(kfile, text).docs[0]?.object ?? {};
        const entries = Array.isArray(doc.replicas) ? doc.replicas : [];
        if (!entries.some((e) => get(e, 'name') === spec.service)) {
          b.write(kfile, editObject(text, () => true, (o) => ({ ...o, replicas: [...entries, { name: spec.service, count: replicas }] })), `replicas of ${spec.service} in ${env}`);
        }
      }
    }
    return;
  }
  for (const overlay of ex.overlays.filter((o) => l.environments.includes(o.env) || l.environments.includes(o.name))) {
    const replicas = spec.replicas?.[overlay.name] ?? spec.replicas?.[overlay.env];
    if (overlay.shared) {
      // A shared overlay lists every service: add ours beside the exemplar.
      const kfile = posix.join(overlay.dir, 'kustomization.yaml');
      const text = await b.mustRead(kfile);
      const obj = parseManifests(kfile, text).docs[0]?.object ?? {};
      const exRef = (Array.isArray(obj.resources) ? obj.resources : []).find(
        (r) => typeof r === 'string' && tokenRegExp(ex.name, '').test(r),
      ) as string | undefined;
      let next = addToList(text, 'resources', exRef ? exRef.replace(tokenRegExp(ex.name), spec.service) : relRef(overlay.dir, l.baseDir), exRef);
      for (const key of ['patches', 'replicas', 'images']) next = cloneListItemsNaming(next, key, ex.name, spec.service, (i) => withReplicas(i, replicas));
      if (next !== text) b.write(kfile, next, `deploy ${spec.service} in ${overlay.env}`);
      if (replicas === undefined) b.assume(`replicas in ${overlay.env} follow ${ex.name}`, kfile);
    } else {
      // The exemplar has an overlay folder of its own: mirror every file of it.
      for (const file of ex.ownFiles.filter((f) => posix.dirname(f) === overlay.dir || f.startsWith(overlay.dir + '/'))) {
        const content = await b.mustRead(file);
        let renamed = renameInYaml(content, ex.name, spec.service);
        if (replicas !== undefined) renamed = renamed.replace(/(\/spec\/replicas\s*\n\s*value:\s*)\d+/, `$1${replicas}`).replace(/^(\s*(?:count|replicas):\s*)\d+/m, `$1${replicas}`);
        b.write(l.mapPath(file), renamed, `${overlay.env} overlay of ${spec.service}`);
      }
      const ns = parseManifests(overlay.dir, (await b.read(posix.join(overlay.dir, 'kustomization.yaml'))) ?? '').docs[0]?.object.namespace;
      if (typeof ns === 'string' && tokenRegExp(ex.name, '').test(ns)) {
        const mine = ns.replace(tokenRegExp(ex.name), spec.service);
        b.assume(`namespace ${mine} mirrors ${ns} of ${ex.name}: it must exist (or be created by Flux) in ${overlay.env}`, l.mapPath(posix.join(overlay.dir, 'kustomization.yaml')));
      }
      // …and list it wherever the exemplar's overlay is listed (a parent kustomization).
      for (const dir of ctx.profile.kustomizationDirs.filter((d) => !tokenRegExp(ex.name, '').test(d))) {
        const kfile = posix.join(dir, 'kustomization.yaml');
        const text = await b.read(kfile);
        if (!text) continue;
        const refs = refPaths(dir, parseManifests(kfile, text).docs[0]?.object ?? {});
        if (!refs.includes(overlay.dir)) continue;
        const exRef = relRef(dir, overlay.dir);
        b.write(kfile, addToList(text, 'resources', exRef.replace(tokenRegExp(ex.name), spec.service), exRef), `deploy ${spec.service} in ${overlay.env}`);
      }
    }
  }
}
function labelsOf(deploymentText: string | undefined, file: string): Record<string, string> {
  const d = parseManifests(file, deploymentText ?? '').docs.find((x) => kindOf(x.object) === 'Deployment')?.object;
  return (rec(get(d, 'spec', 'template', 'metadata', 'labels')) ?? {}) as Record<string, string>;
}

async function planConfig(b: PlanBuilder, l: Layout): Promise<void> {
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
  if (spec.secrets?.length) {
    const file = l.fileFor('Secret').replace(/\.ya?ml$/, '.template.yaml');
    b.write(
      file,
      renderManifest([secretTemplateFor(spec, labels)], [
        'a template, not applied by any kustomization: fill in the values, encrypt it with sops, then list it in the base',
      ]),
      `Secret template of ${spec.service}`,
    );
    envFrom.push({ secretRef: { name: `${spec.service}-secrets` } });
    b.assume(`the Secret ${spec.service}-secrets (${spec.secrets.join(', ')}) is a template: the Deployment needs it encrypted and applied before it can start`, file);
    b.dependencies.push({ kind: 'sops-key', description: `encrypt ${file} with sops (keys per .sops.yaml) and add it to ${l.baseDir}/kustomization.yaml` });
    b.dependencies.push({ kind: 'secret-value', description: `values for ${spec.secrets.join(', ')}` });
  }
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
    const svc = serviceFor(spec, labels, ex && exSvc ? { name: ex.name, object: exSvc, containerPort: exPort } : undefined);
    servicePort = (get(svc, 'spec', 'ports', 0, 'port') as number | undefined) ?? 80;
    const file = l.fileFor('Service');
    b.write(file, renderManifest([svc]), `Service of ${spec.service}`);
    await includeInKustomization(b, l.baseDir, file, `list the Service of ${spec.service}`);
  }
  if (spec.ingress) {
    if (!spec.port) throw new ScaffoldError('spec.ingress needs spec.port: an Ingress routes to the Service on that port');
    const file = l.fileFor('Ingress');
    const ingressClass = await existingIngressClass(b, ctx.profile);
    b.write(file, renderManifest([ingressFor(spec, labels, servicePort, ingressClass)], ingressClass ? [] : ['ingress class nginx assumed: no Ingress in the repository to learn from']), `Ingress of ${spec.service}`);
    await includeInKustomization(b, l.baseDir, file, `list the Ingress of ${spec.service}`);
    b.dependencies.push({ kind: 'dns', description: `DNS record for ${spec.ingress.host}` });
  }
  if (spec.sensitive || spec.secrets?.length) {
    const file = l.fileFor('NetworkPolicy');
    const reviews = spec.sensitive ? [] : ['the service reads Secrets, so it is treated as sensitive: ingress restricted to its namespace'];
    b.write(file, renderManifest([networkPolicyFor(spec, { ...selectorLabels(labels, spec.service), ...labels }, Boolean(spec.ingress))], reviews), `NetworkPolicy of ${spec.service}`);
    await includeInKustomization(b, l.baseDir, file, `list the NetworkPolicy of ${spec.service}`);
    if (!spec.sensitive) b.assume(`${spec.service} reads Secrets: a NetworkPolicy restricts ingress to its namespace`, file);
  }
}

async function existingIngressClass(b: PlanBuilder, profile: PatternProfile): Promise<string | undefined> {
  for (const file of profile.kinds.Ingress ?? []) {
    const docs = parseManifests(file, (await b.read(file)) ?? '').docs;
    const cls = docs.map((d) => get(d.object, 'spec', 'ingressClassName')).find((c) => typeof c === 'string');
    if (typeof cls === 'string') return cls;
  }
  return undefined;
}

async function planGitops(b: PlanBuilder, l: Layout, ctx: ImplementContext): Promise<void> {
  const { spec, exemplar: ex } = l;
  if (ex?.fluxFiles.length) {
    for (const file of ex.fluxFiles) {
      const docs = parseManifests(file, (await b.read(file)) ?? '').docs;
      const overlay = docs.map((d) => String(get(d.object, 'spec', 'path') ?? '')).map((p) => ex.overlays.find((o) => posix.normalize(p).replace(/^\.\//, '') === o.dir)).find(Boolean);
      const env = overlay?.env;
      if (overlay && !l.environments.includes(overlay.env) && !l.environments.includes(overlay.name)) continue;
      b.write(l.mapPath(file), renameInYaml(await b.mustRead(file), ex.name, spec.service), `Flux Kustomization of ${spec.service}${env ? ` in ${env}` : ''}`);
    }
    return;
  }
  // Overlays already synced by a Flux Kustomization need nothing more; say which.
  const synced = ctx.profile.flux.kustomizations.filter((k) =>
    Object.values(ctx.profile.environments).flat().includes(posix.normalize(k.path).replace(/^\.\//, '')),
  );
  if (synced.length) {
    b.assume(`no new Flux object: ${[...new Set(synced.map((k) => `${k.file} (${k.path})`))].join(', ')} already sync${synced.length === 1 ? 's' : ''} the overlays ${spec.service} was added to`);
  } else if (!ctx.profile.flux.kustomizations.length) {
    b.assume('the repository has no Flux objects: nothing syncs the overlays; apply them with your own tooling');
  }
}

export async function planPhase(ctx: ImplementContext, phase: Phase, repo: RepoReader): Promise<ChangeSet> {
  const spec = ctx.input.spec;
  if (!spec) throw new ScaffoldError('the scaffold implementer needs a service spec (--spec FILE); use --implementer anthropic for free-form features');
  const layout = layoutFor(spec, ctx.profile);
  const b = new PlanBuilder(phase, repo);
  switch (phase) {
    case 'base': await planBase(b, layout, ctx); break;
    case 'overlay': await planOverlays(b, layout, ctx); break;
    case 'config': await planConfig(b, layout); break;
    case 'network': await planNetwork(b, layout, ctx); break;
    case 'gitops': await planGitops(b, layout, ctx); break;
  }
  return b.result();
}

