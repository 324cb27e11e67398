// Resolving the merge conflicts parallel scopes make in shared YAML (two services appended to the
// same `resources:` list of an overlay): keep both sides' lines, and accept the result only when it
// parses to exactly the structural three-way merge of base, ours and theirs. Anything else stays a
// conflict for a human.
import { parseAllDocuments } from 'yaml';

type Value = unknown;

const isMap = (v: Value): v is Record<string, Value> => typeof v === 'object' && v !== null && !Array.isArray(v);
const canon = (v: Value): string => JSON.stringify(v, (_k, x: Value) => (isMap(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x));
const same = (a: Value, b: Value) => canon(a) === canon(b);

class Conflict extends Error {}

/** Three-way merge of plain data: maps key by key, lists as base minus removals plus both sides' additions. */
export function merge3(base: Value, ours: Value, theirs: Value): Value {
  if (same(ours, theirs)) return ours;
  if (same(base, ours)) return theirs;
  if (same(base, theirs)) return ours;
  if ((base === undefined || isMap(base)) && isMap(ours) && isMap(theirs)) {
    const b = (base ?? {}) as Record<string, Value>;
    const out: Record<string, Value> = {};
    for (const k of new Set([...Object.keys(ours), ...Object.keys(theirs)])) {
      const v = merge3(b[k], ours[k], theirs[k]);
      if (v !== undefined) out[k] = v;
    }
    return out;
  }
  if ((base === undefined || Array.isArray(base)) && Array.isArray(ours) && Array.isArray(theirs)) {
    const b = (base ?? []) as Value[];
    const kept = b.filter((x) => ours.some((y) => same(x, y)) && theirs.some((y) => same(x, y)));
    const added = [...ours, ...theirs].filter((x) => !b.some((y) => same(x, y)));
    const out: Value[] = [...kept];
    for (const x of added) if (!out.some((y) => same(x, y))) out.push(x);
    return out;
  }
  throw new Conflict('both sides changed the same value');
}

/**
 * Each conflict hunk (`<<<<<<<` ours [`|||||||` base] `=======` theirs `>>>>>>>`) replaced by ours
 * then theirs; null when the markers are malformed. Git should write the diff3 style: its plain
 * style shrinks hunks to the differing lines, interleaving two similar appended blocks.
 */
export function unionOfConflicts(text: string): string | null {
  const out: string[] = [];
  let state: 'out' | 'ours' | 'base' | 'theirs' = 'out';
  for (const line of text.split(/(?<=\n)/)) {
    if (line.startsWith('<<<<<<< ')) {
      if (state !== 'out') return null;
      state = 'ours';
    } else if (line.startsWith('|||||||') && state === 'ours') {
      state = 'base';
    } else if (/^=======\r?\n?$/.test(line) && (state === 'ours' || state === 'base')) {
      state = 'theirs';
    } else if (line.startsWith('>>>>>>> ')) {
      if (state !== 'theirs') return null;
      state = 'out';
    } else if (state !== 'base') {
      out.push(line);
    }
  }
  return state === 'out' ? out.join('') : null;
}

function docs(text: string | undefined): Value[] | null {
  if (text === undefined) return [];
  const all = parseAllDocuments(text, { uniqueKeys: true });
  const list = Array.isArray(all) ? all : [all];
  if (list.some((d) => d.errors.length)) return null;
  return list.map((d) => d.toJS({ maxAliasCount: 100 }) as Value).filter((v) => v !== null && v !== undefined);
}

/**
 * The resolved text of a conflicted YAML file, or null when the conflict is a real one.
 * `base` is undefined when both sides added the file.
 */
export function resolveYamlConflict(args: { conflicted: string; base?: string; ours: string; theirs: string }): string | null {
  const union = unionOfConflicts(args.conflicted);
  if (union === null) return null;
  const [b, o, t, u] = [docs(args.base), docs(args.ours), docs(args.theirs), docs(union)];
  if (!b || !o || !t || !u) return null;
  // Documents are merged one by one; a file whose document count differs between the sides is not guessed at.
  if (o.length !== t.length || (b.length && b.length !== o.length) || u.length !== o.length) return null;
  try {
    const expected = o.map((doc, i) => merge3(b[i], doc, t[i]));
    return expected.every((doc, i) => sameUpToListOrder(doc, u[i])) ? union : null;
  } catch (e) {
    if (e instanceof Conflict) return null;
    throw e;
  }
}

/** Equal, with lists compared as multisets: the union puts our additions before theirs wherever git placed the hunk. */
function sameUpToListOrder(a: Value, b: Value): boolean {
  const norm = (v: Value): Value => {
    if (Array.isArray(v)) return v.map(norm).map((x) => canon(x)).sort();
    if (isMap(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)]));
    return v;
  };
  return same(norm(a), norm(b));
}
