// The overlay phase of the scaffold: the new service added to every environment the exemplar is
// deployed to (shared overlays listing every service, or overlay folders of its own), with the
// spec's replicas; environments the spec is allowed to create get an overlay beside the others.
import { posix } from 'node:path';
import type { ImplementContext } from '../implementer';
import { refPaths, tokenRegExp } from '../repo-model';
import { get, parseManifests } from '../yaml-docs';
import { includeInKustomization, relRef, type Layout, type Obj, type PlanBuilder } from './builder';
import { addToList, cloneListItemsNaming, editObject, renameInYaml } from './edits';
import { replicasIn } from './environments';

export function withReplicas(item: Obj, count: number | undefined): Obj {
  if (count === undefined) return item;
  if (typeof item.count === 'number') return { ...item, count };
  if (typeof item.patch === 'string') {
    return { ...item, patch: item.patch.replace(/(\/spec\/replicas\s*\n\s*value:\s*)\d+/, `$1${count}`).replace(/(replicas:\s*)\d+/, `$1${count}`) };
  }
  return item;
}

export async function planOverlays(b: PlanBuilder, l: Layout, ctx: ImplementContext): Promise<void> {
  const { spec, exemplar: ex } = l;
  if (!ex) {
    for (const env of l.environments) {
      const dir = ctx.profile.environments[env]?.[0] ?? `apps/${env}`;
      await includeInKustomization(b, dir, l.baseDir, `deploy ${spec.service} in ${env}`);
      await setReplicas(b, dir, spec.service, replicasIn(spec, env), env);
      if (l.newEnvironments.includes(env)) newEnvironmentNote(b, env, dir, ctx);
    }
    return;
  }
  for (const env of l.newEnvironments) {
    // Beside the exemplar's overlays: apps/staging → apps/qa.
    const sibling = ex.overlays[0];
    const dir = sibling ? posix.join(posix.dirname(sibling.dir), env) : `apps/${env}`;
    await includeInKustomization(b, dir, l.baseDir, `deploy ${spec.service} in the new environment ${env}`);
    await setReplicas(b, dir, spec.service, replicasIn(spec, env), env);
    newEnvironmentNote(b, env, dir, ctx);
  }
  for (const overlay of ex.overlays.filter((o) => l.environments.includes(o.env) || l.environments.includes(o.name))) {
    const replicas = replicasIn(spec, overlay.name, overlay.env);
    if (overlay.shared) {
      // A shared overlay lists every service: add ours beside the exemplar.
      const kfile = posix.join(overlay.dir, 'kustomization.yaml');
      const text = await b.mustRead(kfile);
      const obj = parseManifests(kfile, text).docs[0]?.object ?? {};
      const exRef = (Array.isArray(obj.resources) ? obj.resources : []).find(
        (r) => typeof r === 'string' && tokenRegExp(ex.name, '').test(r),
      ) as string | undefined;
      let next = addToList(text, 'resources', exRef ? exRef.replace(tokenRegExp(ex.name), spec.service) : relRef(overlay.dir, l.baseDir), exRef);
      // A HelmRelease's patches are its chart's values: nothing the new service's manifests can take.
      const keys = ex.helmRelease ? ['replicas', 'images'] : ['patches', 'replicas', 'images'];
      for (const key of keys) next = cloneListItemsNaming(next, key, ex.name, spec.service, (i) => withReplicas(i, replicas));
      if (next !== text) b.write(kfile, next, `deploy ${spec.service} in ${overlay.env}`);
      if (replicas === undefined) b.assume(`replicas in ${overlay.env} follow ${ex.name}`, kfile);
      // No replica patch of the exemplar to clone: the spec's count still applies, as a replicas entry.
      else if (!/replicas/.test(JSON.stringify(parseManifests(kfile, next).docs[0]?.object.patches ?? []).replace(tokenRegExp(ex.name, 'g'), ''))) {
        await setReplicas(b, overlay.dir, spec.service, replicas, overlay.env);
      }
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

/** A `replicas:` entry for the service in an overlay kustomization, unless one is there already. */
async function setReplicas(b: PlanBuilder, dir: string, service: string, count: number | undefined, env: string): Promise<void> {
  if (count === undefined) return;
  const kfile = posix.join(dir, 'kustomization.yaml');
  const text = await b.mustRead(kfile);
  const doc = parseManifests(kfile, text).docs[0]?.object ?? {};
  const entries = Array.isArray(doc.replicas) ? doc.replicas : [];
  if (entries.some((e) => get(e, 'name') === service)) return;
  b.write(kfile, editObject(text, () => true, (o) => ({ ...o, replicas: [...entries, { name: service, count }] })), `replicas of ${service} in ${env}`);
}

/** A new environment is reported with what it still lacks: something that syncs it. */
function newEnvironmentNote(b: PlanBuilder, env: string, dir: string, ctx: ImplementContext): void {
  const synced = ctx.profile.flux.kustomizations.some((k) => posix.normalize(k.path).replace(/^\.\//, '') === dir);
  b.assume(`environment ${env} is new (allowed by the spec): overlay ${dir} created${synced ? '' : '; nothing syncs it yet — add a Flux Kustomization (or your tooling) for it'}`, posix.join(dir, 'kustomization.yaml'));
}
