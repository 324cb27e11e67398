// A root built as kustomize-controller builds a Flux Kustomization's path: the Flux Kustomization's
// components, patches, images, targetNamespace and name prefix/suffix laid over the root by a
// kustomization in a scratch folder (the user's repository is never written), then postBuild
// substitution on each object that does not opt out.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { SUBSTITUTE_ANNOTATION, substituteVars, type FluxBuild } from '../core/repo-model/flux-build';

/** The folder kustomize should build: the root itself, or a scratch overlay over it. */
export async function fluxOverlay(root: string, dir: string, flux: Pick<FluxBuild, 'components' | 'overlay'>): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  if (!flux.components.length && !Object.keys(flux.overlay).length) return { dir: path.join(root, dir), cleanup: async () => undefined };
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'infra-implementor-flux-'));
  // kustomize takes no absolute roots: the overlay names the folders relative to itself.
  const rel = (p: string) => path.relative(scratch, path.join(root, p));
  await fs.writeFile(path.join(scratch, 'kustomization.yaml'), stringify({
    apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization',
    resources: [rel(dir)], ...(flux.components.length ? { components: flux.components.map(rel) } : {}), ...flux.overlay,
  }));
  return { dir: scratch, cleanup: () => fs.rm(scratch, { recursive: true, force: true }) };
}

/** postBuild substitution over kustomize's output, object by object. */
export function substituteOutput(text: string, flux: FluxBuild): string {
  if (!flux.substitute) return text;
  return text.split(/^---\n/m).map((doc) => (doc.includes(`${SUBSTITUTE_ANNOTATION}: disabled`) ? doc : substituteVars(doc, flux.vars))).join('---\n');
}

/** What the validation says about how the root was built, by names only. */
export function fluxNote(flux: FluxBuild): string {
  const parts = [
    ...(flux.components.length ? [`components ${flux.components.join(', ')}`] : []),
    ...Object.keys(flux.overlay).map((k) => (k === 'namespace' ? `targetNamespace ${String(flux.overlay.namespace)}` : k)),
    ...(flux.substitute ? [`postBuild substitution of ${Object.keys(flux.vars).length} variable(s)`] : []),
  ];
  return `as Flux Kustomization ${flux.kustomization} applies it${parts.length ? ` (${parts.join('; ')})` : ''}${flux.notes.length ? `; ${flux.notes.join('; ')}` : ''}`;
}
