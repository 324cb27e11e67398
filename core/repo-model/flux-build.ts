// What kustomize-controller adds to a build of a Flux Kustomization's path: its `components`,
// `patches`, `images`, `targetNamespace`, `namePrefix`/`nameSuffix`, then `postBuild` variable
// substitution (`substitute` over `substituteFrom` ConfigMaps and Secrets of the repository, in
// order) on every object not annotated `kustomize.toolkit.fluxcd.io/substitute: disabled`. Pure:
// validation/ runs kustomize and applies the result.
import { posix } from 'node:path';
import { arr, get, rec, str, type ManifestDoc } from '../yaml-docs';
import { repoPath } from './flux';

export interface FluxBuild {
  /** `namespace/name` of the Flux Kustomization. */
  kustomization: string;
  file: string;
  /** Component folders, relative to the repository root. */
  components: string[];
  /** The kustomization fields the controller adds (patches, images, namespace, prefix, suffix). */
  overlay: Record<string, unknown>;
  /** Whether postBuild substitution runs, and its variables (values of Secrets included: never shown). */
  substitute: boolean;
  vars: Record<string, string>;
  /** What could not be resolved (sources absent, encrypted), by name only. */
  notes: string[];
}

type Obj = Record<string, unknown>;

const encrypted = (o: Obj): boolean => o.sops !== undefined || /ENC\[AES256_GCM/.test(JSON.stringify(o.data ?? o.stringData ?? {}));

/** The variables of a ConfigMap or Secret: its data (Secret data decoded) and stringData. */
function varsOf(o: Obj): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(rec(o.data) ?? {})) if (typeof v === 'string') out[k] = o.kind === 'Secret' ? Buffer.from(v, 'base64').toString('utf8') : v;
  for (const [k, v] of Object.entries(rec(o.stringData) ?? {})) if (typeof v === 'string') out[k] = v;
  return out;
}

export function fluxBuild(ks: Pick<ManifestDoc, 'object' | 'file'>, manifests: readonly ManifestDoc[]): FluxBuild {
  const o = ks.object;
  const ns = str(get(o, 'metadata', 'namespace')) ?? 'flux-system';
  const dir = repoPath(str(get(o, 'spec', 'path')) ?? '.') ?? '.';
  const overlay: Obj = {};
  for (const key of ['patches', 'images'] as const) if (arr(get(o, 'spec', key)).length) overlay[key] = arr(get(o, 'spec', key));
  const targetNamespace = str(get(o, 'spec', 'targetNamespace'));
  if (targetNamespace) overlay.namespace = targetNamespace;
  for (const key of ['namePrefix', 'nameSuffix'] as const) {
    const v = str(get(o, 'spec', key));
    if (v) overlay[key] = v;
  }
  const notes: string[] = [];
  const vars: Record<string, string> = {};
  const postBuild = rec(get(o, 'spec', 'postBuild'));
  for (const from of arr(postBuild?.substituteFrom)) {
    const kind = str(get(from, 'kind')) ?? 'ConfigMap';
    const name = str(get(from, 'name')) ?? '';
    const src = manifests.find((d) => d.object.kind === kind && str(get(d.object, 'metadata', 'name')) === name
      && (str(get(d.object, 'metadata', 'namespace')) ?? ns) === ns);
    if (!src) notes.push(`substituteFrom ${kind}/${name} is not in the repository${get(from, 'optional') === true ? ' (optional)' : ''}: its variables are unset`);
    else if (encrypted(src.object)) notes.push(`substituteFrom ${kind}/${name} is SOPS-encrypted: its variables are unset`);
    else Object.assign(vars, varsOf(src.object));
  }
  for (const [k, v] of Object.entries(rec(postBuild?.substitute) ?? {})) vars[k] = String(v);
  return {
    kustomization: `${ns}/${str(get(o, 'metadata', 'name')) ?? '?'}`,
    file: ks.file,
    components: arr(get(o, 'spec', 'components')).flatMap((c) => (typeof c === 'string' ? [posix.normalize(posix.join(dir, c))] : [])),
    overlay,
    substitute: postBuild !== undefined,
    vars,
    notes,
  };
}

/**
 * Flux's substitution of one object's text: `${var}`, `${var:=default}` / `${var:-default}` (default
 * when unset or empty), `${var=default}` / `${var-default}` (when unset); an unset variable without a
 * default becomes empty, as the controller does by default; `$${var}` is a literal `${var}`.
 */
export function substituteVars(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\$(\$)?\{([_a-zA-Z][_a-zA-Z0-9]*)(?:(:?[=-])([^}]*))?\}/g, (m, escaped: string | undefined, name: string, op: string | undefined, def: string | undefined) => {
    if (escaped) return m.slice(1);
    const v = vars[name];
    if (op === undefined) return v ?? '';
    return v === undefined || (op.startsWith(':') && v === '') ? (def ?? '') : v;
  });
}

export const SUBSTITUTE_ANNOTATION = 'kustomize.toolkit.fluxcd.io/substitute';
