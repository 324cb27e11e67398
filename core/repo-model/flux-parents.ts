// A Flux Kustomization as the controller receives it: when another Flux Kustomization (its parent)
// applies the file it is written in, the parent's build changes it first — the parent's `patches`
// that select it (commonly `target: {kind: Kustomization}` setting postBuild, decryption or
// targetNamespace on every child), the parent's targetNamespace, then the parent's postBuild
// substitution (`CLUSTER: ${CLUSTER}`). Parents are resolved first, so chains of any depth apply.
// Pure; a patch that cannot apply leaves the child as written, with the reason.
import { get, rec, str, type ManifestDoc } from '../yaml-docs';
import { pathElsewhere, repoPath, type FluxModel } from './flux';
import { fluxBuild, substituteVars, substitutionDisabled } from './flux-build';
import { closure, type KustomizeGraph } from './kustomize-graph';
import { applyPatch, patchesOf } from './object-patch';

type Obj = Record<string, unknown>;

export interface EffectiveKustomization {
  object: Obj;
  /** The parent whose build changed it, `namespace/name`, and the files it is written in (nearest first). */
  parent?: string;
  parentFiles?: string[];
  /** A parent patch that could not be applied, by reason. */
  problem?: string;
}

export interface ParentInput {
  flux: Pick<FluxModel, 'kustomizations' | 'otherRepositories'>;
  kustomize: KustomizeGraph;
  manifests: readonly ManifestDoc[];
}

/** The files a Flux Kustomization's build reads in this repository (a kustomization's closure, or the folder). */
function appliedFiles(o: Obj, model: ParentInput): Set<string> | undefined {
  if (pathElsewhere(o, model.flux)) return undefined;
  const dir = repoPath(str(get(o, 'spec', 'path')) ?? '.');
  if (dir === undefined) return undefined;
  if (model.kustomize.has(dir)) return new Set(closure(model.kustomize, dir).files);
  // Without kustomization.yaml the controller generates one over the folder's manifests.
  return new Set(model.manifests.map((d) => d.file).filter((f) => dir === '.' || f.startsWith(`${dir}/`)));
}

/** Per model and per substitution mode (`--flux-version` decides it): the same model may be judged both ways. */
const cache = new WeakMap<object, Map<boolean, Map<ManifestDoc, EffectiveKustomization>>>();

/** Every Flux Kustomization of the repository as its parent's build hands it to the controller. */
export function effectiveKustomizations(model: ParentInput, strict = true): Map<ManifestDoc, EffectiveKustomization> {
  const byMode = cache.get(model.flux.kustomizations) ?? new Map<boolean, Map<ManifestDoc, EffectiveKustomization>>();
  cache.set(model.flux.kustomizations, byMode);
  const known = byMode.get(strict);
  if (known) return known;
  const files = new Map(model.flux.kustomizations.map((d) => [d, appliedFiles(d.object, model)]));
  const parentOf = (d: ManifestDoc): ManifestDoc | undefined => model.flux.kustomizations.find((p) => p !== d && files.get(p)?.has(d.file));
  const out = new Map<ManifestDoc, EffectiveKustomization>();
  const resolving = new Set<ManifestDoc>();
  const resolve = (d: ManifestDoc): EffectiveKustomization => {
    const done = out.get(d);
    if (done) return done;
    const parent = resolving.has(d) ? undefined : parentOf(d);
    if (!parent) {
      out.set(d, { object: d.object });
      return { object: d.object };
    }
    resolving.add(d);
    const up = resolve(parent);
    resolving.delete(d);
    const result = { ...applyParent(d.object, up.object, { object: up.object, file: parent.file }, model.manifests, strict), parentFiles: [parent.file, ...(up.parentFiles ?? [])] };
    out.set(d, result);
    return result;
  };
  model.flux.kustomizations.forEach(resolve);
  byMode.set(strict, out);
  return out;
}

function applyParent(child: Obj, parent: Obj, parentDoc: Pick<ManifestDoc, 'object' | 'file'>, manifests: readonly ManifestDoc[], strict: boolean): EffectiveKustomization {
  const name = `${str(get(parent, 'metadata', 'namespace')) ?? 'flux-system'}/${str(get(parent, 'metadata', 'name')) ?? '?'}`;
  let o = child;
  try {
    for (const entry of patchesOf(parent)) o = applyPatch(entry, o);
  } catch (e) {
    return { object: child, parent: name, problem: `a patch of its parent Kustomization ${name} does not apply: ${(e as Error).message}` };
  }
  const targetNamespace = str(get(parent, 'spec', 'targetNamespace'));
  if (targetNamespace) o = { ...o, metadata: { ...(rec(o.metadata) ?? {}), namespace: targetNamespace } };
  const build = fluxBuild(parentDoc, manifests, { strict });
  if (build.substitute && !substitutionDisabled(o)) {
    // Values the parent's sources hide (encrypted, made at run time) stay as written, not emptied.
    const escaped = Object.fromEntries(Object.entries(build.vars).map(([k, v]) => [k, JSON.stringify(v).slice(1, -1)]));
    o = JSON.parse(substituteVars(JSON.stringify(o), escaped, { keepUnknown: !build.strict })) as Obj;
  }
  return { object: o, parent: name };
}

/** The object of one Flux Kustomization document as the controller receives it. */
export const effectiveObject = (model: ParentInput, d: ManifestDoc, strict = true): Obj => effectiveKustomizations(model, strict).get(d)?.object ?? d.object;
