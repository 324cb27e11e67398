// Where a field of a rendered object comes from when a JSON 6902 patch file put it there
// (`patches:` / `patchesJson6902:` entries with a `path` and a `target`): the `value` of the
// operation whose path holds the field. Such a patch is a YAML list of operations, not an object,
// so it is not among the source documents the strategic-merge placement searches.
import { posix } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { arr, get, parseManifests, positionsOf, str, type Position } from '../core/yaml-docs';
import type { RepoSnapshot } from './snapshot';

type Path = readonly (string | number)[];

export interface JsonPatchOp {
  file: string;
  /** The operation's path as segments (`~1` and `~0` decoded; array indices as numbers, `-` kept). */
  path: Path;
  /** Position of a field under the operation's `value`. */
  at: (rest: Path) => Position | undefined;
}

const KUSTOMIZATION = /(^|\/)kustomization\.ya?ml$|(^|\/)Kustomization$/;

const pointer = (p: string): Path => p.split('/').slice(1)
  .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
  .map((s) => (/^\d+$/.test(s) ? Number(s) : s));

/** kustomize matches a target's name and namespace as anchored regular expressions. */
function matches(pattern: unknown, value: string): boolean {
  const p = str(pattern);
  if (p === undefined) return true;
  try {
    return new RegExp(`^(?:${p})$`).test(value);
  } catch {
    return p === value;
  }
}

/** The add/replace operations of one patch file, in order; none when the file is not a JSON 6902 list. */
function opsOf(file: string, text: string): JsonPatchOp[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const list: unknown = doc.errors.length ? undefined : doc.toJS();
  if (!Array.isArray(list)) return [];
  const at = positionsOf(doc, lineCounter);
  return list.flatMap((op, i) => {
    const kind = str(get(op, 'op'));
    const p = str(get(op, 'path'));
    return (kind === 'add' || kind === 'replace') && p !== undefined
      ? [{ file, path: pointer(p), at: (rest: Path) => at([i, 'value', ...rest]) }] : [];
  });
}

interface PatchEntry {
  target: unknown;
  ops: JsonPatchOp[];
}

/**
 * The JSON 6902 patch files the kustomizations among `inputs` apply, read once per target: a lookup
 * of the operations that apply to an object of `kind` whose source document is named `name` in
 * `namespace`.
 */
export function json6902Ops(inputs: readonly string[], snap: RepoSnapshot): (kind: string, name: string, namespace: string) => JsonPatchOp[] {
  const entries: PatchEntry[] = [];
  for (const k of inputs.filter((f) => KUSTOMIZATION.test(f))) {
    const object = parseManifests(k, snap.text(k) ?? '').docs[0]?.object;
    for (const entry of [...arr(get(object, 'patches')), ...arr(get(object, 'patchesJson6902'))]) {
      const rel = str(get(entry, 'path'));
      const target = get(entry, 'target');
      const file = rel && target ? posix.normalize(posix.join(posix.dirname(k), rel)) : undefined;
      const text = file ? snap.text(file) : undefined;
      const ops = file && text !== undefined ? opsOf(file, text) : [];
      if (ops.length) entries.push({ target, ops });
    }
  }
  return (kind, name, namespace) => entries.filter(({ target }) => matches(get(target, 'kind'), kind) && matches(get(target, 'name'), name)
    && (get(target, 'namespace') === undefined || matches(get(target, 'namespace'), namespace))).flatMap((e) => e.ops);
}

/** The position, in the patch, of the field at `path`: the last operation that set it or a parent of it. */
export function json6902Position(ops: readonly JsonPatchOp[], path: Path): (Position & { file: string }) | undefined {
  for (const op of [...ops].reverse()) {
    const n = op.path.length;
    const last = op.path[n - 1];
    // `…/containers/-` appends: it holds whatever index the field has.
    const covers = n <= path.length && op.path.every((s, i) => s === path[i] || (i === n - 1 && last === '-' && typeof path[i] === 'number'));
    if (!covers) continue;
    const pos = op.at(path.slice(n));
    if (pos) return { ...pos, file: op.file };
  }
  return undefined;
}
