// Parsing manifests into plain objects with their source position; shared by the survey, the
// scaffold and validation. Pure: takes text, returns data.
import { isMap, isPair, isScalar, isSeq, parseAllDocuments, LineCounter, type Document } from 'yaml';

export interface ManifestDoc {
  file: string;
  /** 1-based line of the document's first content line. */
  line: number;
  /** Index of the document in its file. */
  index: number;
  object: Record<string, unknown>;
  /** Column (1-based) of the document's first content line. */
  column?: number;
  /**
   * Line and column of a field, given as a path into the object (`['spec', 'containers', 0, 'image']`):
   * its key for a mapping entry, the item for a sequence entry; the nearest existing parent when the
   * field is absent (a missing `resources` points at its container).
   */
  at?: (path: readonly (string | number)[]) => { line: number; column: number } | undefined;
}

export type Position = { line: number; column: number };

/** The position finder of one parsed document (see ManifestDoc.at). */
export function positionsOf(doc: Document, lineCounter: LineCounter): (path: readonly (string | number)[]) => Position | undefined {
  const pos = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  return (path) => {
    let node: unknown = doc.contents;
    let found: Position | undefined = doc.contents?.range ? pos(doc.contents.range[0]) : undefined;
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && (isScalar(p.key) ? p.key.value : p.key) === key);
        if (!pair) return found;
        const k = pair.key as { range?: [number, number, number] } | null;
        if (k?.range) found = pos(k.range[0]);
        node = pair.value;
      } else if (isSeq(node) && typeof key === 'number') {
        const item = node.items[key] as { range?: [number, number, number] } | undefined;
        if (!item) return found;
        if (item.range) found = pos(item.range[0]);
        node = item;
      } else {
        return found;
      }
    }
    return found;
  };
}

export interface YamlProblem {
  file: string;
  line: number;
  column: number;
  message: string;
}

/** Alias expansion bound: a YAML bomb fails parsing instead of exhausting memory. */
const MAX_ALIAS_COUNT = 100;

export function parseManifests(file: string, text: string): { docs: ManifestDoc[]; problems: YamlProblem[] } {
  const lineCounter = new LineCounter();
  const docs: ManifestDoc[] = [];
  const problems: YamlProblem[] = [];
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const all = Array.isArray(parsed) ? parsed : [parsed];
  all.forEach((doc, index) => {
    for (const err of doc.errors) {
      const pos = lineCounter.linePos(err.pos[0]);
      problems.push({ file, line: pos.line, column: pos.col, message: err.message.split('\n')[0] ?? err.message });
    }
    if (doc.errors.length > 0) return;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      const pos = lineCounter.linePos(doc.range[0]);
      problems.push({ file, line: pos.line, column: pos.col, message: (e as Error).message });
      return;
    }
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const start = lineCounter.linePos(doc.contents?.range[0] ?? doc.range[0]);
      docs.push({ file, line: start.line, column: start.col, index, object: value as Record<string, unknown>, at: positionsOf(doc, lineCounter) });
    }
  });
  return { docs, problems };
}

export const isYamlFile = (p: string): boolean => /\.ya?ml$/i.test(p);

/** Safe nested access into parsed YAML. */
export function get(obj: unknown, ...keys: (string | number)[]): unknown {
  let cur: unknown = obj;
  for (const k of keys) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const rec = (v: unknown): Record<string, unknown> | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export const kindOf = (o: Record<string, unknown>): string => str(o.kind) ?? '';
export const nameOf = (o: Record<string, unknown>): string => str(get(o, 'metadata', 'name')) ?? '';

export const FLUX_KUSTOMIZATION_API = /^kustomize\.toolkit\.fluxcd\.io\//;
export const isFluxKustomization = (o: Record<string, unknown>): boolean =>
  kindOf(o) === 'Kustomization' && FLUX_KUSTOMIZATION_API.test(str(o.apiVersion) ?? '');
export const isKustomizeConfig = (o: Record<string, unknown>): boolean =>
  (kindOf(o) === 'Kustomization' || kindOf(o) === 'Component') && /^kustomize\.config\.k8s\.io\//.test(str(o.apiVersion) ?? '');
