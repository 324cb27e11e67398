// A root built as kustomize-controller builds a Flux Kustomization's path: the Flux Kustomization's
// components, patches, images, targetNamespace and name prefix/suffix laid over the root by a
// kustomization in a scratch folder (the user's repository is never written), then postBuild
// substitution on each object that does not opt out, strict as the controller is, and commonMetadata.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { SUBSTITUTE_ANNOTATION, substituteVars, unsetVars, type FluxBuild } from '../core/repo-model/flux-build';
import { get, rec, str } from '../core/yaml-docs';
import { applyCustomPatches, splitCustomPatches } from './custom-patches';

/**
 * The folder kustomize should build: the root itself, or a scratch overlay over it. With `split`,
 * the patches of custom resources are kept out of it and returned in `here` (applied by finishBuild).
 */
export async function fluxOverlay(root: string, dir: string, build: Pick<FluxBuild, 'components' | 'overlay'>, split = false): Promise<{ dir: string; cleanup: () => Promise<void>; here: unknown[] }> {
  const { overlay, here } = split ? splitCustomPatches(build.overlay) : { overlay: build.overlay, here: [] };
  const flux = { components: build.components, overlay };
  if (!flux.components.length && !Object.keys(flux.overlay).length) return { dir: path.join(root, dir), cleanup: async () => undefined, here };
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'infra-implementor-flux-'));
  // kustomize takes no absolute roots: the overlay names the folders relative to itself.
  const rel = (p: string) => path.relative(scratch, path.join(root, p));
  await fs.writeFile(path.join(scratch, 'kustomization.yaml'), stringify({
    apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization',
    resources: [rel(dir)], ...(flux.components.length ? { components: flux.components.map(rel) } : {}), ...flux.overlay,
  }));
  return { dir: scratch, cleanup: () => fs.rm(scratch, { recursive: true, force: true }), here };
}

/** kustomize's output of a Flux Kustomization's path, finished as the controller finishes it; or the one-line failure. */
export function finishBuild(out: string, flux: FluxBuild, here: readonly unknown[]): { text: string } | { error: string } {
  const patched = applyCustomPatches(out, here);
  if ('error' in patched) return patched;
  const post = applyPostBuild(patched.text, flux);
  return post.unset.length ? { error: strictFailure(flux, post.unset) } : { text: post.text };
}

/**
 * What kustomize-controller does to the build's objects, one by one: postBuild substitution (unless
 * the object opts out), then commonMetadata. `unset` names each bare `${var}` with no value where
 * substitution is strict: the controller would fail the reconciliation on it.
 */
export function applyPostBuild(text: string, flux: FluxBuild): { text: string; unset: string[] } {
  if (!flux.substitute && !flux.commonMetadata) return { text, unset: [] };
  const unset: string[] = [];
  const docs = text.split(/^---\n/m).map((doc) => {
    let out = doc;
    // kustomize writes the opt-out label or annotation on one line: no need to parse every object.
    if (flux.substitute && !doc.includes(`${SUBSTITUTE_ANNOTATION}: disabled`)) {
      const missing = flux.strict ? unsetVars(doc, flux.vars) : [];
      if (missing.length) {
        const o = rec(parseDocument(doc).toJS());
        unset.push(...missing.map((v) => `\${${v}} in ${str(o?.kind) ?? '?'}/${str(get(o, 'metadata', 'name')) ?? '?'}`));
      }
      out = substituteVars(doc, flux.vars);
    }
    if (!flux.commonMetadata || !out.trim()) return out;
    const d = parseDocument(out);
    for (const [k, v] of Object.entries(flux.commonMetadata.labels)) d.setIn(['metadata', 'labels', k], v);
    for (const [k, v] of Object.entries(flux.commonMetadata.annotations)) d.setIn(['metadata', 'annotations', k], v);
    return d.toString();
  });
  return { text: docs.join('---\n'), unset };
}

/** The one-line failure of a strict substitution, naming the variables and where they are used. */
export const strictFailure = (flux: FluxBuild, unset: readonly string[]): string =>
  `as Flux Kustomization ${flux.kustomization} applies it, postBuild substitution fails: ${unset.slice(0, 5).join(', ')}${unset.length > 5 ? ` and ${unset.length - 5} more` : ''} `
  + 'has no value and no default (kustomize-controller substitutes strictly by default since Flux 2.9: "variable not set (strict mode)"); '
  + 'set it in postBuild.substitute or a substituteFrom source, give it a default (${var:=value}), or annotate the object kustomize.toolkit.fluxcd.io/substitute: disabled';

/** What the validation says about how the root was built, by names only. */
export function fluxNote(flux: FluxBuild): string {
  const parts = [
    ...(flux.components.length ? [`components ${flux.components.join(', ')}`] : []),
    ...Object.keys(flux.overlay).map((k) => (k === 'namespace' ? `targetNamespace ${String(flux.overlay.namespace)}` : k)),
    ...(flux.substitute ? [`postBuild substitution of ${Object.keys(flux.vars).length} variable(s)`] : []),
    ...(flux.commonMetadata ? ['commonMetadata'] : []),
  ];
  return `as Flux Kustomization ${flux.kustomization}${flux.parent ? ` (as its parent ${flux.parent} patches it)` : ''} applies it${parts.length ? ` (${parts.join('; ')})` : ''}${flux.notes.length ? `; ${flux.notes.join('; ')}` : ''}`;
}
