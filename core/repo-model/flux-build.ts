// What kustomize-controller adds to a build of a Flux Kustomization's path: its `components`,
// `patches`, `images`, `targetNamespace`, `namePrefix`/`nameSuffix`, then `postBuild` variable
// substitution (`substitute` over `substituteFrom` ConfigMaps and Secrets of the repository, in
// order) on every object not annotated `kustomize.toolkit.fluxcd.io/substitute: disabled`, then
// `commonMetadata` on every object. Substitution is strict, as kustomize-controller ≥ 1.9 (Flux
// 2.9) is by default: a `${var}` with no value and no default fails the reconciliation, as does a
// `substituteFrom` source that does not exist and is not `optional`. Pure: validation/ runs
// kustomize and applies the result.
import { posix } from 'node:path';
import { arr, get, rec, str, type ManifestDoc } from '../yaml-docs';
import { configData, findConfigSource, madeAtRunTime, nameIs, sopsEncrypted } from './config-sources';
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
  /**
   * A bare `${var}` without a value fails: the controller is strict (unless the repository turns the
   * feature gate off) and every value is known here (no source encrypted or made at run time).
   */
  strict: boolean;
  /** Labels and annotations set on every object after the build (`spec.commonMetadata`). */
  commonMetadata?: { labels: Record<string, string>; annotations: Record<string, string> };
  /** What could not be resolved (sources absent but optional, encrypted, made at run time), by name only. */
  notes: string[];
  /** Failures of the controller before anything is applied: substituteFrom sources that do not exist, invalid variable names. */
  problems: string[];
  /** The parent Flux Kustomization whose patches changed this one, `namespace/name`, and the files of its ancestors. */
  parent?: string;
  parentFiles?: string[];
}

type Obj = Record<string, unknown>;

/** kustomize-controller's variable names (fluxcd/pkg kustomize `varsubRegex`). */
const VAR_NAME = /^[_a-zA-Z][_a-zA-Z0-9]*$/;

const stringMap = (v: unknown): Record<string, string> => Object.fromEntries(Object.entries(rec(v) ?? {}).map(([k, x]) => [k, String(x)]));

/** The substituteFrom sources, in order: their variables, or why they are unknown or a failure. */
function substituteFrom(o: Obj, ns: string, manifests: readonly ManifestDoc[], out: Pick<FluxBuild, 'vars' | 'notes' | 'problems'>): boolean {
  let complete = true;
  const objects = manifests.map((d) => d.object);
  for (const from of arr(get(o, 'spec', 'postBuild', 'substituteFrom'))) {
    const kind = str(get(from, 'kind')) ?? 'ConfigMap';
    const name = str(get(from, 'name')) ?? '';
    // A namespace the repository sets elsewhere (a kustomization's `namespace:`) is not followed here:
    // a source of that name in another namespace counts, so only a source written nowhere fails.
    const src = findConfigSource(objects, kind, name, ns) ?? objects.find((x) => nameIs(x, kind, name));
    const maker = !src && kind === 'Secret' ? madeAtRunTime(name, ns, objects) ?? madeAtRunTime(name, undefined, objects) : undefined;
    if (maker) out.notes.push(`substituteFrom ${kind}/${name} is made at run time by ${maker}: its variables are unknown here`);
    else if (!src && get(from, 'optional') === true) {
      out.notes.push(`substituteFrom ${kind}/${name} is optional and not in the repository`); // skipped by the controller too
      continue;
    } else if (!src) out.problems.push(`postBuild.substituteFrom names ${kind}/${name}, which is not in the repository (kustomize-controller fails the reconciliation: "substitute from '${kind}/${name}' error: not found"; mark it optional: true if that is meant)`);
    else if (sopsEncrypted(src)) out.notes.push(`substituteFrom ${kind}/${name} is SOPS-encrypted: its variables are unknown here`);
    else {
      // The controller drops newlines from values.
      for (const [k, v] of Object.entries(configData(src))) out.vars[k] = v.replace(/\n/g, '');
      continue;
    }
    complete = false;
  }
  return complete;
}

/** Whether the repository turns strict substitution off (`--feature-gates=StrictPostBuildSubstitutions=false`). */
export const strictOptOut = (objects: readonly unknown[]): boolean => objects.some((o) => JSON.stringify(o).includes('StrictPostBuildSubstitutions=false'));

export function fluxBuild(ks: Pick<ManifestDoc, 'object' | 'file'>, manifests: readonly ManifestDoc[], opts: { strict?: boolean } = {}): FluxBuild {
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
  const out: Pick<FluxBuild, 'vars' | 'notes' | 'problems'> = { vars: {}, notes: [], problems: [] };
  const postBuild = rec(get(o, 'spec', 'postBuild'));
  const complete = substituteFrom(o, ns, manifests, out);
  for (const [k, v] of Object.entries(rec(postBuild?.substitute) ?? {})) out.vars[k] = String(v).replace(/\n/g, '');
  const invalid = Object.keys(out.vars).filter((k) => !VAR_NAME.test(k));
  if (invalid.length) out.problems.push(`postBuild variable name(s) ${invalid.map((k) => `'${k}'`).join(', ')} invalid (kustomize-controller: "var name is invalid, must match ^[_[:alpha:]][_[:alpha:][:digit:]]*$")`);
  const meta = rec(get(o, 'spec', 'commonMetadata'));
  // Substitution runs when there is a variable, or always with `substituteStrategy: Always`; unknown values count as some.
  const runs = postBuild !== undefined && (Object.keys(out.vars).length > 0 || postBuild.substituteStrategy === 'Always' || !complete);
  return {
    kustomization: `${ns}/${str(get(o, 'metadata', 'name')) ?? '?'}`,
    file: ks.file,
    components: arr(get(o, 'spec', 'components')).flatMap((c) => (typeof c === 'string' ? [posix.normalize(posix.join(dir, c))] : [])),
    overlay,
    substitute: runs,
    strict: (opts.strict ?? true) && complete,
    ...(meta ? { commonMetadata: { labels: stringMap(meta.labels), annotations: stringMap(meta.annotations) } } : {}),
    ...out,
  };
}

/**
 * Flux's substitution of one object's text: `${var}`, `${var:=default}` / `${var:-default}` (default
 * when unset or empty), `${var=default}` / `${var-default}` (when unset); an unset variable without a
 * default becomes empty (where strictness is not judged; see unsetVars); `$${var}` is a literal `${var}`.
 * With `keepUnknown` (a parent's substitution whose values are not all known here) a variable
 * without a value is left as written.
 */
const REFERENCE = /\$(\$)?\{([_a-zA-Z][_a-zA-Z0-9]*)(?:(:?[=-])([^}]*))?\}/g;

export function substituteVars(text: string, vars: Readonly<Record<string, string>>, opts: { keepUnknown?: boolean } = {}): string {
  return text.replace(REFERENCE, (m, escaped: string | undefined, name: string, op: string | undefined, def: string | undefined) => {
    if (escaped) return m.slice(1);
    const v = vars[name];
    if (v === undefined && opts.keepUnknown) return m;
    if (op === undefined) return v ?? '';
    return v === undefined || (op.startsWith(':') && v === '') ? (def ?? '') : v;
  });
}

/** Variables a text uses bare (`${var}`, no default) that have no value: strict substitution fails on them. */
export function unsetVars(text: string, vars: Readonly<Record<string, string>>): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(REFERENCE)) if (!m[1] && m[3] === undefined && m[2] && vars[m[2]] === undefined) out.add(m[2]);
  return [...out];
}

/** Whether an object opts out of substitution (the annotation or the label). */
export const substitutionDisabled = (o: Record<string, unknown>): boolean =>
  get(o, 'metadata', 'annotations', SUBSTITUTE_ANNOTATION) === 'disabled' || get(o, 'metadata', 'labels', SUBSTITUTE_ANNOTATION) === 'disabled';

export const SUBSTITUTE_ANNOTATION = 'kustomize.toolkit.fluxcd.io/substitute';
