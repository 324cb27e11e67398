// The scaffold for repositories whose services are HelmReleases of one shared chart (an app-template
// through per-release OCIRepositories or a HelmRepository): the new service is a HelmRelease of that
// chart beside its siblings, with the same files (ks.yaml, app/kustomization.yaml, app/helmrelease.yaml,
// its chart source), values mapped from the spec, listed where the exemplar is listed.
import { posix } from 'node:path';
import type { ImplementContext } from '../implementer';
import { refPaths, tokenRegExp } from '../repo-model';
import { get, kindOf, nameOf, parseManifests, rec, str } from '../yaml-docs';
import { includeInKustomization, relRef, ScaffoldError, type Layout, type Obj, type PlanBuilder } from './builder';
import { valuesFor } from './chart-values';
import { replicaCounts } from './environments';
import { addToList, editObject, renameInYaml, renderManifest, withoutOwnConfiguration } from './edits';
import { egressReview, renameValues } from './objects';
import { policyFor, policyReview, policyStyle } from './network-policy';
import { planServiceSecret } from './secrets';

const leadingComments = (text: string): string[] =>
  (text.match(/^(---\n)?((#.*\n)+)/)?.[2] ?? '').split('\n').filter((l) => l.startsWith('# ') && !/REVIEW/.test(l)).map((l) => l.slice(2));

/** One replica count for a release every environment shares; an assumption says which when they differ. */
function oneReplicaCount(b: PlanBuilder, l: Layout, file: string): number | undefined {
  const counts = replicaCounts(l.spec);
  if (counts.length <= 1) return counts[0];
  const max = Math.max(...counts);
  b.assume(`replicas ${JSON.stringify(l.spec.replicas)} differ per environment, but services here are one release for every environment: set to ${max}`, file);
  return max;
}

async function exemplarRelease(b: PlanBuilder, l: Layout): Promise<{ object: Obj; text: string }> {
  const ex = l.exemplar;
  const file = ex?.helmRelease?.file;
  const text = file ? await b.mustRead(file) : undefined;
  const object = text ? parseManifests(file as string, text).docs.find((d) => kindOf(d.object) === 'HelmRelease' && nameOf(d.object) === ex?.name)?.object : undefined;
  if (!text || !object) throw new ScaffoldError(`the HelmRelease ${ex?.name ?? '?'} to mirror is gone from ${file ?? '?'}; run again on a stable tree`);
  return { object, text };
}

async function planReleaseBase(b: PlanBuilder, l: Layout, ctx: ImplementContext): Promise<void> {
  const ex = l.exemplar as NonNullable<Layout['exemplar']>;
  const { spec } = l;
  const { object, text } = await exemplarRelease(b, l);
  const file = l.mapPath(ex.deploymentFile);
  const mapped = valuesFor(rec(get(object, 'spec', 'values')) ?? {}, ex.name, spec, oneReplicaCount(b, l, file), ctx.profile.resources);
  const release = renameValues(structuredClone(object), ex.name, spec.service);
  (release.spec as Obj).values = mapped.values;
  b.write(file, renderManifest([release], [...leadingComments(text).map((c) => `@keep ${c}`), ...mapped.reviews]).replace(/^# REVIEW: @keep /gm, '# '), `HelmRelease of ${spec.service}`);
  b.dependencies.push({ kind: 'image', description: `image ${spec.image} must be built and pushed` });
  // The release's own chart source (an OCIRepository per release) and the app kustomization.
  const kfile = posix.join(ex.baseDir, 'kustomization.yaml');
  const listed = new Set(refPaths(ex.baseDir, parseManifests(kfile, (await b.read(kfile)) ?? '').docs[0]?.object ?? {}));
  const keep = [file];
  let chartUrl: string | undefined;
  for (const own of ex.ownFiles.filter((f) => listed.has(f) && f !== ex.deploymentFile)) {
    const docs = parseManifests(own, (await b.read(own)) ?? '').docs;
    if (docs.length && docs.every((d) => /^source\.toolkit\.fluxcd\.io\//.test(str(d.object.apiVersion) ?? '') && tokenRegExp(ex.name, '').test(nameOf(d.object)))) {
      b.write(l.mapPath(own), renameInYaml(await b.mustRead(own), ex.name, spec.service), `chart source of ${spec.service}`);
      keep.push(l.mapPath(own));
      chartUrl ??= docs.map((d) => str(get(d.object, 'spec', 'url'))).find(Boolean);
    } else {
      b.assume(`${own} (${docs.map((d) => `${kindOf(d.object)}/${nameOf(d.object)}`).join(', ')}) belongs to ${ex.name}: not mirrored`);
    }
  }
  const chart = [ex.helmRelease?.chart, chartUrl].filter(Boolean).join(' from ') || ex.helmRelease?.sourceRef || '?';
  b.assume(`${spec.service} is a HelmRelease of the chart its siblings share (${chart}), laid out like ${ex.name}`, file);
  for (const r of mapped.reviews.filter((x) => /not exposed|defines no service|checklist requires|checklist forbids/.test(x))) b.assume(r, file);
  if (spec.environments && !ex.overlays.length) {
    b.assume(`services here are one release for every cluster that syncs them (no per-environment overlays): environments ${spec.environments.join(', ')} are not applied separately`, file);
  }
  const ktext = await b.read(kfile);
  if (ktext === undefined) {
    for (const f of keep) await includeInKustomization(b, l.baseDir, f, `app kustomization of ${spec.service}`);
    return;
  }
  const own = withoutOwnConfiguration(renameInYaml(ktext, ex.name, spec.service));
  if (own.dropped.length) b.assume(`${ex.name}'s ${own.dropped.join(', ')} not copied: they configure ${ex.name}`, posix.join(l.baseDir, 'kustomization.yaml'));
  let next = own.text.replace(/^resources:\n(\s+- .*\n)*/m, 'resources:\n');
  for (const f of keep) next = addToList(next, 'resources', relRef(l.baseDir, f), undefined, b.mirrors.get(l.baseDir));
  b.write(posix.join(l.baseDir, 'kustomization.yaml'), next, `app kustomization of ${spec.service}`);
}

/** List the new service wherever a kustomization lists one of the exemplar's files or folders. */
async function planReleaseListing(b: PlanBuilder, l: Layout, ctx: ImplementContext): Promise<void> {
  const ex = l.exemplar as NonNullable<Layout['exemplar']>;
  const own = new Set([...ex.ownFiles, ...ex.ownFiles.map((f) => posix.dirname(f))]);
  for (const dir of ctx.profile.kustomizationDirs.filter((d) => !tokenRegExp(ex.name, '').test(d))) {
    const kfile = posix.join(dir, 'kustomization.yaml');
    const text = await b.read(kfile);
    if (!text) continue;
    const obj = parseManifests(kfile, text).docs[0]?.object ?? {};
    const entry = (Array.isArray(obj.resources) ? obj.resources : []).find((r) => typeof r === 'string' && own.has(posix.normalize(posix.join(dir, r))));
    if (typeof entry !== 'string') continue;
    b.write(kfile, addToList(text, 'resources', entry.replace(tokenRegExp(ex.name), l.spec.service), entry), `deploy ${l.spec.service} beside ${ex.name}`);
  }
}

async function planReleaseSecrets(b: PlanBuilder, l: Layout, ctx: ImplementContext): Promise<void> {
  const { spec } = l;
  const secret = await planServiceSecret(b, l, ctx, { 'app.kubernetes.io/name': spec.service });
  if (!secret) return;
  const releaseFile = l.mapPath((l.exemplar as NonNullable<Layout['exemplar']>).deploymentFile);
  const text = await b.mustRead(releaseFile);
  b.write(releaseFile, editObject(text, (o) => kindOf(o) === 'HelmRelease', (o) => {
    const app = Object.values(rec(get(o, 'spec', 'values', 'controllers')) ?? {}).map((c) => Object.values(rec(get(c, 'containers')) ?? {})[0]).find(Boolean);
    if (rec(app)) (app as Obj).envFrom = [{ secretRef: { name: secret } }];
    return o;
  }), `environment of ${spec.service} from its Secret`);
}

async function planReleaseNetwork(b: PlanBuilder, l: Layout, ctx: ImplementContext): Promise<void> {
  const { spec } = l;
  if (!spec.sensitive && !spec.secrets?.length) return;
  // app-template labels its pods app.kubernetes.io/name: <release name>.
  const file = posix.join(l.baseDir, 'networkpolicy.yaml');
  // Traffic from outside comes through the gateway the release's route names (else an ingress controller).
  const release = parseManifests(file, (await b.read(l.mapPath((l.exemplar as NonNullable<Layout['exemplar']>).deploymentFile))) ?? '').docs[0]?.object;
  const route = Object.values(rec(get(release, 'spec', 'values', 'route')) ?? {})[0];
  const gatewayNs = str(get(route, 'parentRefs', 0, 'namespace'));
  const style = await policyStyle(b, ctx.profile, l.exemplar);
  b.write(file, renderManifest([policyFor(style, spec, { 'app.kubernetes.io/name': spec.service }, Boolean(spec.ingress), gatewayNs)], [
    policyReview(style),
    'selects the pods by app.kubernetes.io/name, the label the chart gives them',
    egressReview(spec.service),
    ...(spec.ingress ? [`ingress allowed from the namespace ${gatewayNs ?? 'ingress-nginx'}${gatewayNs ? ' of the gateway the route names' : ' (assumed ingress controller)'}`] : []),
  ]), `NetworkPolicy of ${spec.service}`);
  await includeInKustomization(b, l.baseDir, file, `list the NetworkPolicy of ${spec.service}`);
}

/** One phase of a HelmRelease-of-a-shared-chart service; the gitops phase is the common one (the exemplar's ks.yaml, renamed). */
export async function planReleasePhase(b: PlanBuilder, l: Layout, ctx: ImplementContext, phase: string): Promise<boolean> {
  switch (phase) {
    case 'base': await planReleaseBase(b, l, ctx); return true;
    case 'overlay': await planReleaseListing(b, l, ctx); return true;
    case 'config': await planReleaseSecrets(b, l, ctx); return true;
    case 'network': await planReleaseNetwork(b, l, ctx); return true;
    default: return false;
  }
}
