// A HelmRelease's values composed as helm-controller composes them: the chart's defaults (helm's
// own), then each `valuesFrom` in order — a ConfigMap or Secret of the release's namespace, its
// `valuesKey` (default values.yaml) merged whole or, with `targetPath`, set at that path — then
// `spec.values` on top. A source that is not in the repository is skipped when `optional`, stated
// when a controller makes it at run time (ExternalSecret, SealedSecret) or SOPS-encrypts it, and
// otherwise a failure naming it. Secret values go to helm only: notes name sources, never values.
import { parseDocument } from 'yaml';
import type { RenderedDoc } from '../core/compliance';
import { configData, findConfigSource, madeAtRunTime, sopsEncrypted } from '../core/repo-model/config-sources';
import { arr, get, rec, str, type ManifestDoc } from '../core/yaml-docs';

type Obj = Record<string, unknown>;

/** Deep merge as Helm merges values files: maps merge, everything else is replaced. */
export function mergeValues(base: Obj, over: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = rec(out[k]);
    const o = rec(v);
    out[k] = b && o ? mergeValues(b, o) : v;
  }
  return out;
}

/** Set `value` at a Helm `--set` style path (`a.b`, `list[0].c`, `a\.b` for a dotted key). */
export function setAtPath(values: Obj, targetPath: string, value: unknown): Obj {
  const keys = targetPath.split(/(?<!\\)\./).flatMap((seg) => {
    const m = /^(.*?)((\[\d+\])*)$/.exec(seg.replace(/\\\./g, '.'));
    const idx = [...(m?.[2] ?? '').matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1]));
    return [m?.[1] ?? seg, ...idx];
  }).filter((k) => k !== '');
  const root: Obj = structuredClone(values);
  let node: Record<string | number, unknown> = root;
  keys.forEach((k, i) => {
    if (i === keys.length - 1) {
      node[k] = value;
      return;
    }
    const next = typeof keys[i + 1] === 'number' ? [] : {};
    const cur = node[k];
    node[k] = cur && typeof cur === 'object' ? cur : next;
    node = node[k] as Record<string | number, unknown>;
  });
  return root;
}

export interface ComposedValues {
  values: Obj;
  /** What was left out and why (sources made at run time, encrypted, optional and absent). */
  notes: string[];
  /** Non-optional sources defined nowhere: the release fails as it would in the cluster. */
  missing: string[];
}

export function composeValues(release: Obj, namespace: string, rendered: readonly RenderedDoc[], sources: readonly ManifestDoc[]): ComposedValues {
  let values: Obj = {};
  const notes: string[] = [];
  const missing: string[] = [];
  const objects = [...rendered.map((d) => d.object), ...sources.map((d) => d.object)];
  for (const v of arr(get(release, 'spec', 'valuesFrom'))) {
    const kind = str(get(v, 'kind')) ?? 'ConfigMap';
    const name = str(get(v, 'name')) ?? '';
    const key = str(get(v, 'valuesKey')) ?? 'values.yaml';
    const optional = get(v, 'optional') === true;
    const what = `valuesFrom ${kind}/${name} (${key})`;
    const found = findConfigSource(objects, kind, name, namespace);
    if (!found) {
      const maker = kind === 'Secret' ? madeAtRunTime(name, namespace, objects) : undefined;
      if (maker) notes.push(`${what} is made at run time by ${maker}: rendered without it`);
      else if (optional) notes.push(`${what} is optional and not in the repository: rendered without it`);
      else missing.push(`${kind}/${name} in namespace ${namespace}`);
      continue;
    }
    if (kind === 'Secret' && sopsEncrypted(found)) {
      notes.push(`${what} is SOPS-encrypted: rendered without it`);
      continue;
    }
    const text = configData(found)[key];
    if (text === undefined) {
      if (optional) notes.push(`${what}: no key ${key}, optional: rendered without it`);
      else missing.push(`key ${key} of ${kind}/${name} in namespace ${namespace}`);
      continue;
    }
    const path = str(get(v, 'targetPath'));
    if (path) {
      values = setAtPath(values, path, text);
      continue;
    }
    const parsed = rec(parseDocument(text).toJS());
    if (parsed) values = mergeValues(values, parsed);
  }
  const inline = rec(get(release, 'spec', 'values'));
  return { values: inline ? mergeValues(values, inline) : values, notes, missing };
}
