// A Flux Kustomization's `patches` that select custom resources only — the HelmRelease defaults a
// parent Kustomization sets on every child are the common case — applied here to kustomize's output,
// as kustomize applies them to a kind it has no schema for (a strategic merge patch is a JSON merge
// patch; RFC 6902 as is). kustomize loads its whole OpenAPI schema for any strategic merge patch:
// about 0.1 s more per build (measured: 40 ms a build without, 135 ms with one such patch), paid
// 77 times on a home-ops tree. Patches of built-in kinds, patch files and targets a namespace or a
// name prefix could change are left to kustomize.
import { parseAllDocuments, parseDocument, stringify } from 'yaml';
import { applyPatch } from '../core/repo-model/object-patch';
import { arr, get, rec, str } from '../core/yaml-docs';

type Obj = Record<string, unknown>;

/** Flux's own kinds, custom resources whatever group a patch names them with. */
const FLUX_KINDS = new Set(['HelmRelease', 'HelmRepository', 'HelmChart', 'GitRepository', 'OCIRepository', 'Bucket', 'ImageRepository', 'ImagePolicy', 'ImageUpdateAutomation', 'Alert', 'Provider', 'Receiver']);

/** A group of the Kubernetes API itself (`''`, `apps`, `batch`, `*.k8s.io`): its kinds have schemas kustomize merges by. */
const builtInGroup = (group: string): boolean => !group.includes('.') || group.endsWith('.k8s.io');

function custom(entry: unknown, renames: boolean): boolean {
  const text = str(get(entry, 'patch'));
  if (text === undefined || get(entry, 'path') !== undefined) return false;
  const target = rec(get(entry, 'target'));
  if (target && (target.namespace !== undefined || (renames && target.name !== undefined))) return false;
  const body = parseAllDocuments(text)[0]?.toJS() as unknown;
  if (!target && (Array.isArray(body) || renames)) return false;
  const apiVersion = str(get(body, 'apiVersion')) ?? '';
  const group = str(target?.group) ?? (apiVersion.includes('/') ? apiVersion.split('/')[0] ?? '' : '');
  const kind = str(target?.kind) ?? str(get(body, 'kind')) ?? '';
  if (!kind || /[^A-Za-z0-9]/.test(kind)) return false; // a pattern of kinds may reach built-in ones
  return FLUX_KINDS.has(kind) || (group !== '' && !builtInGroup(group));
}

/** The overlay kustomize is given, and the patches applied here after its build. */
export function splitCustomPatches(overlay: Obj): { overlay: Obj; here: unknown[] } {
  const patches = arr(overlay.patches);
  if (!patches.length) return { overlay, here: [] };
  const renames = overlay.namePrefix !== undefined || overlay.nameSuffix !== undefined;
  const here = patches.filter((p) => custom(p, renames));
  if (!here.length) return { overlay, here };
  const rest = patches.filter((p) => !here.includes(p));
  const { patches: _all, ...others } = overlay;
  return { overlay: { ...others, ...(rest.length ? { patches: rest } : {}) }, here };
}

/** kustomize's output with the patches applied to the objects they select, in order; or why one does not apply. */
export function applyCustomPatches(text: string, here: readonly unknown[]): { text: string } | { error: string } {
  if (!here.length) return { text };
  const out: string[] = [];
  for (const doc of text.split(/^---\n/m)) {
    const original = rec(parseDocument(doc).toJS());
    let o = original;
    for (const entry of here) {
      if (!o) break;
      try {
        o = applyPatch(entry, o);
      } catch (e) {
        return { error: `patch of ${str(get(entry, 'target', 'kind')) ?? 'a custom resource'} does not apply to ${str(o.kind) ?? '?'}/${str(get(o, 'metadata', 'name')) ?? '?'}: ${(e as Error).message}` };
      }
    }
    // Objects no patch selected keep kustomize's text.
    out.push(o === original ? doc : stringify(o, { lineWidth: 0 }));
  }
  return { text: out.join('---\n') };
}
