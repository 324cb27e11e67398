// A kustomize `patches` entry applied to one object as kustomize applies it to a custom resource
// (no OpenAPI schema, so a strategic merge patch is a JSON merge patch: maps merge, null deletes,
// lists and scalars replace) or as an RFC 6902 operation list; and kustomize's patch target
// selector (group, version, kind, name and namespace as anchored regular expressions, label and
// annotation selectors of `key=value` terms). Pure, for objects the repository model reads.
import { parseAllDocuments } from 'yaml';
import { arr, get, rec, str } from '../yaml-docs';

type Obj = Record<string, unknown>;

/** RFC 7386: what a strategic merge patch amounts to on a custom resource. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  const p = rec(patch);
  if (!p) return structuredClone(patch);
  const out: Obj = { ...(rec(target) ?? {}) };
  for (const [k, v] of Object.entries(p)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

const pointer = (path: string): string[] => path.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));

/** RFC 6902 add, replace, remove, copy and move; an operation that cannot apply throws, as kustomize fails. */
export function jsonPatch(target: Obj, ops: readonly unknown[]): Obj {
  const root: { doc: unknown } = { doc: structuredClone(target) };
  const parentOf = (keys: string[]): { node: Record<string, unknown> | unknown[]; key: string } => {
    let node: unknown = root.doc;
    for (const k of keys.slice(0, -1)) node = Array.isArray(node) ? node[Number(k)] : rec(node)?.[k];
    if (!node || typeof node !== 'object') throw new Error(`no parent for /${keys.join('/')}`);
    return { node: node as Record<string, unknown> | unknown[], key: keys[keys.length - 1] ?? '' };
  };
  const read = (keys: string[]): unknown => keys.reduce<unknown>((n, k) => (Array.isArray(n) ? n[Number(k)] : rec(n)?.[k]), root.doc);
  const write = (keys: string[], value: unknown, insert: boolean) => {
    if (!keys.length) {
      root.doc = value;
      return;
    }
    const { node, key } = parentOf(keys);
    if (Array.isArray(node)) node.splice(key === '-' ? node.length : Number(key), insert ? 0 : 1, value);
    else node[key] = value;
  };
  const remove = (keys: string[]) => {
    const { node, key } = parentOf(keys);
    if (Array.isArray(node)) node.splice(Number(key), 1);
    else if (key in node) delete node[key];
    else throw new Error(`nothing to remove at /${keys.join('/')}`);
  };
  for (const op of ops) {
    const keys = pointer(str(get(op, 'path')) ?? '');
    const from = pointer(str(get(op, 'from')) ?? '');
    switch (str(get(op, 'op'))) {
      case 'add': write(keys, structuredClone(get(op, 'value')), true); break;
      case 'replace': write(keys, structuredClone(get(op, 'value')), false); break;
      case 'remove': remove(keys); break;
      case 'copy': write(keys, structuredClone(read(from)), true); break;
      case 'move': { const v = read(from); remove(from); write(keys, v, true); break; }
      default: break; // `test` and unknown operations change nothing
    }
  }
  return rec(root.doc) ?? {};
}

const anchored = (pattern: string | undefined, value: string): boolean => {
  if (pattern === undefined || pattern === '') return true;
  try {
    return new RegExp(`^(?:${pattern})$`).test(value);
  } catch {
    return pattern === value;
  }
};

/** `a=b,c!=d,e` against a map of labels or annotations. */
function selects(selector: string | undefined, values: Record<string, unknown>): boolean {
  if (!selector) return true;
  return selector.split(',').map((t) => t.trim()).filter(Boolean).every((term) => {
    const ne = /^([^!=]+)!=(.*)$/.exec(term);
    if (ne?.[1]) return String(values[ne[1].trim()] ?? '') !== (ne[2] ?? '').trim();
    const eq = /^([^=]+)==?(.*)$/.exec(term);
    if (eq?.[1]) return String(values[eq[1].trim()] ?? '\0') === (eq[2] ?? '').trim();
    return term.startsWith('!') ? !(term.slice(1) in values) : term in values;
  });
}

/** Whether kustomize's patch target selects an object. */
export function targetSelects(target: unknown, o: Obj): boolean {
  const [group = '', version = ''] = (str(o.apiVersion) ?? '').includes('/') ? (str(o.apiVersion) ?? '').split('/') : ['', str(o.apiVersion) ?? ''];
  return anchored(str(get(target, 'group')), group) && anchored(str(get(target, 'version')), version)
    && anchored(str(get(target, 'kind')), str(o.kind) ?? '') && anchored(str(get(target, 'name')), str(get(o, 'metadata', 'name')) ?? '')
    && anchored(str(get(target, 'namespace')), str(get(o, 'metadata', 'namespace')) ?? '')
    && selects(str(get(target, 'labelSelector')), rec(get(o, 'metadata', 'labels')) ?? {})
    && selects(str(get(target, 'annotationSelector')), rec(get(o, 'metadata', 'annotations')) ?? {});
}

/**
 * One `patches` entry applied to an object it selects (its target, else the patch's own kind and
 * name); the object unchanged when it is not selected. Throws on a patch that cannot apply.
 */
export function applyPatch(entry: unknown, o: Obj): Obj {
  const text = str(get(entry, 'patch'));
  if (text === undefined) return o; // a patch file (`path:`) is read by kustomize, not here
  const docs = parseAllDocuments(text).map((d) => d.toJS() as unknown);
  const target = rec(get(entry, 'target'));
  const body = docs[0];
  if (Array.isArray(body)) return target && targetSelects(target, o) ? jsonPatch(o, body) : o;
  const smp = rec(body);
  if (!smp) return o;
  const own = { kind: smp.kind, name: get(smp, 'metadata', 'name') };
  const selected = target ? targetSelects(target, o) : own.kind === o.kind && own.name === get(o, 'metadata', 'name');
  if (!selected) return o;
  // With a target, the patch's own name is a placeholder (`name: _`): it must not rename the object.
  const { metadata, ...rest } = smp;
  const meta = rec(metadata) ? Object.fromEntries(Object.entries(rec(metadata) ?? {}).filter(([k]) => k !== 'name' && k !== 'namespace')) : undefined;
  return mergePatch(o, { ...rest, ...(meta && Object.keys(meta).length ? { metadata: meta } : {}), apiVersion: o.apiVersion, kind: o.kind }) as Obj;
}

export const patchesOf = (o: Obj): unknown[] => arr(get(o, 'spec', 'patches'));
