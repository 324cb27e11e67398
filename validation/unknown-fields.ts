// kubernetes-models' validators are not strict: fields the schema does not know pass silently
// (test/validation.test.ts proves it). kubeconform -strict and the API server's strict field
// validation reject them, and a misspelt field (`livenessprobe`) is the commonest manifest bug. This
// finds them by probing the compiled schema itself: a field is known when putting a value of no JSON
// type there makes the validator report that exact path. Answers are memoised per kind and path shape.
import type { SchemaCheck } from './schema-models';

const PROBE = Symbol('unknown-field-probe');
type Path = (string | number)[];

const escape = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');
export const pointer = (path: Path): string => path.map((p) => `/${escape(String(p))}`).join('');
const shape = (path: Path): string => path.map((p) => (typeof p === 'number' ? '*' : escape(p))).join('/');

const memo = new Map<string, boolean>();

/**
 * Fields typed as "any JSON" in their CRD: no probe can tell them from an unknown field, because the
 * compiled validator never looks at them. Keyed by API group and path shape.
 */
const FREE_FORM = new Set(['helm.toolkit.fluxcd.io|spec/values']);
/**
 * API fields kubernetes-models' compiled schemas leave out, so that no probe finds them: the
 * generator takes PriorityClass's `description` for the schema's own. Known, not checked.
 */
const OMITTED = new Set(['scheduling.k8s.io|description']);
const groupOf = (kindKey: string): string => (kindKey.split('/').length > 2 ? kindKey.split('/')[0] ?? '' : '');

function isKnown(check: SchemaCheck, kindKey: string, root: object, node: Record<string, unknown>, path: Path, key: string): boolean {
  const memoKey = `${kindKey}|${shape(path)}|${escape(key)}`;
  const hit = memo.get(memoKey);
  if (hit !== undefined) return hit;
  const saved = node[key];
  node[key] = PROBE;
  let known: boolean;
  try {
    const at = pointer([...path, key]);
    known = check(root).some((e) => e.instancePath === at);
  } catch {
    known = true; // the validator looked at the value and could not handle it: it knows the field
  } finally {
    node[key] = saved;
  }
  memo.set(memoKey, known);
  return known;
}

/**
 * JSON pointers of the fields of `root` that its schema does not define. An object none of whose
 * keys is known is taken as free-form (x-kubernetes-preserve-unknown-fields, HelmRelease values) and
 * left alone; the price is that an object whose every key is misspelt goes unreported.
 */
export function unknownFields(check: SchemaCheck, kindKey: string, root: Record<string, unknown>): string[] {
  const out: string[] = [];
  const walk = (value: unknown, path: Path): void => {
    if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, [...path, i]));
      return;
    }
    if (!value || typeof value !== 'object') return;
    const node = value as Record<string, unknown>;
    const keys = Object.keys(node);
    const known = keys.map((k) => isKnown(check, kindKey, root, node, path, k));
    if (path.length > 0 && !known.some(Boolean)) return;
    keys.forEach((k, i) => {
      const field = `${groupOf(kindKey)}|${shape([...path, k])}`;
      if (FREE_FORM.has(field) || OMITTED.has(field)) return;
      // A JSON6902 operation's value is any JSON (a postRenderers or Kustomization patch).
      if (k === 'value' && typeof node.op === 'string') return;
      if (!known[i]) out.push(pointer([...path, k]));
      else walk(node[k], [...path, k]);
    });
  };
  walk(root, []);
  return out;
}
