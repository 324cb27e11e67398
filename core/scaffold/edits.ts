// Edits of existing YAML files that keep their comments, order and formatting (yaml Document API),
// and serialisation of new objects with `# REVIEW:` comments.
import { isMap, isScalar, isSeq, parseDocument, stringify, visit, type Document, YAMLSeq } from 'yaml';
import { tokenRegExp } from '../survey';
import { insertionIndex, listStyle, mirrorIndex, styled } from './lists';

const STRINGIFY = { lineWidth: 0, aliasDuplicateObjects: false } as const;

/** A new manifest file: REVIEW comments on top, then the documents. */
export function renderManifest(objects: Record<string, unknown>[], reviews: string[] = []): string {
  const header = reviews.map((r) => `# REVIEW: ${r}\n`).join('');
  return header + objects.map((o) => stringify(o, STRINGIFY)).join('---\n');
}

function parse(text: string): Document {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new Error(`cannot edit: ${doc.errors[0]?.message.split('\n')[0]}`);
  return doc;
}

/**
 * A text with no YAML anchors or aliases: copied files (e.g. a release whose values say `port: &port
 * 80` … `*port`) are written with the values spelled out, so an edit of one place cannot silently
 * change another. Documents without aliases keep their text (and comments) as they are.
 */
export function withoutAliases(text: string): string {
  if (!/[&*][A-Za-z0-9_-]/.test(text)) return text;
  return text.split(/^---\s*$/m).map((part) => {
    const doc = parseDocument(part);
    let aliased = false;
    visit(doc, { Alias() { aliased = true; return visit.BREAK; }, Node(_k, n) { if ((n as { anchor?: string }).anchor) aliased = true; } });
    if (!aliased || doc.errors.length) return part;
    const comments = part.match(/^\n?((#.*\n)+)/)?.[1] ?? '';
    return comments + stringify(doc.toJS(), STRINGIFY);
  }).join('---\n');
}

/** Replace the exemplar's name by the new one in every scalar value of a YAML text, comments kept. */
export function renameInYaml(text: string, from: string, to: string): string {
  const re = tokenRegExp(from);
  return text
    .split(/^---\s*$/m)
    .map((part) => {
      if (!part.trim()) return part;
      const doc = parseDocument(part);
      if (doc.errors.length) return part.replace(re, to);
      visit(doc, {
        Scalar(key, node) {
          if (key !== 'key' && typeof node.value === 'string') node.value = node.value.replace(re, to);
        },
      });
      // Comments naming the exemplar would now mislead: rename there too.
      if (doc.commentBefore) doc.commentBefore = doc.commentBefore.replace(re, to);
      return doc.toString(STRINGIFY);
    })
    .join('---\n');
}

/**
 * Add `entry` to the sequence `key` of a kustomization the way the list is kept (see lists.ts): in
 * order where its entries of that shape are sorted, else right after `after` when present, else
 * after its like; written in the neighbours' style (`./x`, `x/`, quotes). `like` gives the entries to
 * learn the style from when the list is new or was emptied (the exemplar's). Comments stay. Returns
 * the text unchanged when the entry is already there.
 */
export function addToList(text: string, key: string, entry: string, after?: string, like?: string[]): string {
  const doc = parse(text);
  let seq = doc.get(key, true);
  if (!isSeq(seq)) {
    seq = new YAMLSeq();
    doc.set(key, seq);
  }
  const items = (seq as YAMLSeq).items;
  const values = items.map((i) => (isScalar(i) && typeof i.value === 'string' ? i.value : ''));
  const style = listStyle(values.filter(Boolean).length ? values.filter(Boolean) : (like ?? []), entry);
  // A list mirroring the exemplar's keeps the exemplar's practice: sorted, or in the exemplar's order.
  if (like?.length) style.sorted = listStyle(like, entry).sorted;
  const written = styled(entry, style);
  if (values.some((v) => v === written || v === entry)) return text;
  const node = doc.createNode(written);
  const quoted = items.filter(isScalar).map((i) => i.type);
  if (quoted.length && quoted.every((t) => t === quoted[0]) && (quoted[0] === 'QUOTE_DOUBLE' || quoted[0] === 'QUOTE_SINGLE')) node.type = quoted[0];
  items.splice(like?.length && !style.sorted ? mirrorIndex(values, written, like) : insertionIndex(values, written, style, after), 0, node);
  return doc.toString(STRINGIFY);
}

/** The string entries of the sequence `key` of a YAML text (e.g. a kustomization's resources). */
export function listEntries(text: string, key: string): string[] {
  const seq = parseDocument(text).get(key, true);
  return isSeq(seq) ? seq.items.flatMap((i) => (isScalar(i) && typeof i.value === 'string' ? [i.value] : [])) : [];
}

/**
 * Clone every item of the sequence `key` that names the exemplar (e.g. a patch whose target is the
 * exemplar) as an item for the new service, placed after the original; `adjust` edits the clone.
 */
export function cloneListItemsNaming(
  text: string,
  key: string,
  from: string,
  to: string,
  adjust: (item: Record<string, unknown>) => Record<string, unknown> = (i) => i,
): string {
  const doc = parse(text);
  const seq = doc.get(key, true);
  if (!isSeq(seq)) return text;
  const re = tokenRegExp(from);
  const already = tokenRegExp(to);
  const items = seq.items;
  if (items.some((i) => already.test(JSON.stringify(isMap(i) ? i.toJSON() : i)))) return text;
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i];
    if (!isMap(item)) continue;
    const json = item.toJSON() as Record<string, unknown>;
    if (!re.test(JSON.stringify(json))) continue;
    const renamed = JSON.parse(JSON.stringify(json).replace(tokenRegExp(from), to)) as Record<string, unknown>;
    items.splice(i + 1, 0, doc.createNode(adjust(renamed)));
  }
  return doc.toString(STRINGIFY);
}

/** Apply a function to the first document of a YAML text whose object matches `match`. */
export function editObject(
  text: string,
  match: (o: Record<string, unknown>) => boolean,
  edit: (o: Record<string, unknown>) => Record<string, unknown>,
): string {
  const parts = text.split(/^---\s*$/m);
  let done = false;
  const out = parts.map((part) => {
    if (done || !part.trim()) return part;
    const doc = parseDocument(part);
    const obj = doc.toJS() as Record<string, unknown> | null;
    if (!obj || typeof obj !== 'object' || !match(obj)) return part;
    done = true;
    const comments = part.match(/^\n?((#.*\n)+)/)?.[1] ?? '';
    return (part.startsWith('\n') ? '\n' : '') + comments + stringify(edit(obj), STRINGIFY);
  });
  if (!done) throw new Error('no matching object to edit');
  // Each part after a `---` line starts with the newline that ended it.
  return out.map((p, i) => (i === 0 ? p : `---${p.startsWith('\n') ? '' : '\n'}${p}`)).join('');
}

/**
 * The exemplar's kustomization without what configures the exemplar alone: its generators (their
 * files and literals are its own) and the patches it reads from files of its folder. Returns the
 * text and what was left out, for an assumption.
 */
export function withoutOwnConfiguration(text: string): { text: string; dropped: string[] } {
  const doc = parse(text);
  const dropped: string[] = [];
  for (const key of ['configMapGenerator', 'secretGenerator']) {
    const seq = doc.get(key, true);
    if (!isSeq(seq)) continue;
    dropped.push(...seq.items.map((i) => `${key} ${String((isMap(i) ? i.get('name') : undefined) ?? '?')}`));
    doc.delete(key);
  }
  if (dropped.length && !['configMapGenerator', 'secretGenerator'].some((k) => doc.has(k))) doc.delete('generatorOptions');
  const patches = doc.get('patches', true);
  if (isSeq(patches)) {
    const fromFiles = patches.items.filter((i) => isMap(i) && typeof i.get('path') === 'string');
    dropped.push(...fromFiles.map((i) => `patch ${String((i as { get(k: string): unknown }).get('path'))}`));
    patches.items = patches.items.filter((i) => !fromFiles.includes(i));
    if (!patches.items.length) doc.delete('patches');
  }
  return dropped.length ? { text: doc.toString(STRINGIFY), dropped } : { text, dropped };
}
