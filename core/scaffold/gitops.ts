// The gitops phase of the scaffold: the exemplar's Flux Kustomizations, renamed for the new service,
// without what configures the exemplar alone (its components, the dependencies its siblings do not
// share); or, where overlays are already synced, a note saying which object syncs them.
import { posix } from 'node:path';
import { isSeq, parseDocument } from 'yaml';
import type { ImplementContext } from '../implementer';
import { renameValues } from './objects';
import { arr, get, parseManifests, str, type ManifestDoc } from '../yaml-docs';
import type { Layout, Obj, PlanBuilder } from './builder';
import { editObject, renameInYaml } from './edits';
import { inFolder, siblingsDir } from './secret-mechanism';

const dependsOnOf = (o: unknown): string[] => arr(get(o, 'spec', 'dependsOn')).flatMap((d) => (str(get(d, 'name')) ? [str(get(d, 'name')) as string] : []));

/**
 * Keep of the exemplar's `dependsOn` what most of its siblings depend on too (the platform they share:
 * a secret store, a storage class); drop what is the exemplar's own (a GPU driver, its own tools), and
 * say which. Siblings are the other services in the exemplar's folder.
 */
async function pruneDependsOn(b: PlanBuilder, l: Layout, ctx: ImplementContext, docs: ManifestDoc[], text: string, file: string): Promise<string> {
  const ex = l.exemplar as NonNullable<Layout['exemplar']>;
  const names = [...new Set(docs.flatMap((d) => dependsOnOf(d.object)))];
  if (!names.length) return text;
  const near = siblingsDir(ex);
  const siblings = ctx.profile.services.filter((s) => s !== ex && inFolder(near, s.baseDir) && s.fluxFiles.length);
  const theirs: string[][] = [];
  for (const s of siblings) {
    const own = [];
    for (const f of s.fluxFiles) own.push(...parseManifests(f, (await b.read(f)) ?? '').docs.flatMap((d) => dependsOnOf(d.object)));
    theirs.push(own);
  }
  const shared = (n: string) => theirs.filter((t) => t.includes(n)).length * 2 > siblings.length;
  const kept = names.filter(shared);
  const dropped = names.filter((n) => !shared(n));
  const keep = new Set(kept.map((n) => renameValues(n, ex.name, l.spec.service)));
  if (kept.length) b.assume(`dependsOn ${kept.join(', ')} kept: most services beside ${ex.name} depend on ${kept.length === 1 ? 'it' : 'them'} too`, file);
  if (!dropped.length) return text;
  b.assume(`${ex.name}'s dependsOn ${dropped.join(', ')} not copied: ${siblings.length ? `no more than ${Math.floor(siblings.length / 2)} of its ${siblings.length} siblings depend on ${dropped.length === 1 ? 'it' : 'them'}` : 'it has no siblings to share them'}; add what ${l.spec.service} needs`, file);
  return text.split(/^---\s*$/m).map((part) => {
    const doc = parseDocument(part);
    const seq = doc.getIn(['spec', 'dependsOn'], true);
    if (!isSeq(seq)) return part;
    seq.items = seq.items.filter((i) => keep.has(String((i as { get?: (k: string) => unknown }).get?.('name') ?? '')));
    if (!seq.items.length) doc.deleteIn(['spec', 'dependsOn']);
    return (part.startsWith('\n') ? '\n' : '') + doc.toString({ lineWidth: 0 }).replace(/^\n+/, '');
  }).map((p, i) => (i === 0 ? p : `---${p}`)).join('');
}

/** The exemplar's own Argo CD Applications (one per service, beside its manifests), renamed; true when there were some. */
async function mirrorArgoApplications(b: PlanBuilder, l: Layout): Promise<boolean> {
  const ex = l.exemplar as NonNullable<Layout['exemplar']>;
  let mirrored = false;
  for (const file of ex.ownFiles.filter((f) => l.mapPath(f) !== f)) {
    const docs = parseManifests(file, (await b.read(file)) ?? '').docs;
    if (!docs.length || !docs.every((d) => /^argoproj\.io\//.test(str(d.object.apiVersion) ?? '') && d.object.kind === 'Application')) continue;
    b.write(l.mapPath(file), renameInYaml(await b.mustRead(file), ex.name, l.spec.service), `Argo CD Application of ${l.spec.service}`);
    b.assume(`${l.spec.service} is deployed by an Argo CD Application like ${ex.name}'s (${file})`, l.mapPath(file));
    mirrored = true;
  }
  return mirrored;
}

export async function planGitops(b: PlanBuilder, l: Layout, ctx: ImplementContext): Promise<void> {
  const { spec, exemplar: ex } = l;
  if (ex?.fluxFiles.length) {
    for (const file of ex.fluxFiles) {
      const docs = parseManifests(file, (await b.read(file)) ?? '').docs;
      const overlay = docs.map((d) => String(get(d.object, 'spec', 'path') ?? '')).map((p) => ex.overlays.find((o) => posix.normalize(p).replace(/^\.\//, '') === o.dir)).find(Boolean);
      const env = overlay?.env;
      if (overlay && !l.environments.includes(overlay.env) && !l.environments.includes(overlay.name)) continue;
      let text = renameInYaml(await b.mustRead(file), ex.name, spec.service);
      // Components of the exemplar's sync (its backups, its autoscaling) configure it, not the new service.
      const components = docs.flatMap((d) => (Array.isArray(get(d.object, 'spec', 'components')) ? (get(d.object, 'spec', 'components') as unknown[]) : []));
      if (components.length) {
        text = editObject(text, (o) => Array.isArray(get(o, 'spec', 'components')), (o) => { delete (o.spec as Obj).components; return o; });
        b.assume(`${ex.name}'s Flux Kustomization components (${components.join(', ')}) not copied: they configure ${ex.name}; add those ${spec.service} needs`, l.mapPath(file));
      }
      text = await pruneDependsOn(b, l, ctx, docs, text, l.mapPath(file));
      b.write(l.mapPath(file), text, `Flux Kustomization of ${spec.service}${env ? ` in ${env}` : ''}`);
    }
    return;
  }
  if (ex && (await mirrorArgoApplications(b, l))) return;
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

