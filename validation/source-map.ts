// Mapping rendered documents back to where they come from, so a finding says file:line. Kustomize
// output carries no positions; a rendered object is matched to the source document of the same
// kind among the target's inputs, by name (exact, else with a namePrefix/nameSuffix added) and
// namespace. Helm output names its template in a `# Source:` comment.
import { posix } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import type { RenderedDoc } from '../core/compliance';
import { substituteVars, substitutionDisabled, type FluxBuild } from '../core/repo-model/flux-build';
import { get, parseManifests, str, type ManifestDoc } from '../core/yaml-docs';
import type { Target } from './discovery';
import { json6902Ops, json6902Position, type JsonPatchOp } from './json6902-positions';
import type { RepoSnapshot } from './snapshot';

export type SourceIndex = Map<string, ManifestDoc[]>;

export function indexByKind(docs: readonly ManifestDoc[]): SourceIndex {
  const index: SourceIndex = new Map();
  for (const d of docs) {
    const k = str(d.object.kind) ?? '';
    (index.get(k) ?? index.set(k, []).get(k))?.push(d);
  }
  return index;
}

const nameOf = (o: Record<string, unknown>): string => str(get(o, 'metadata', 'name')) ?? '';
const nsOf = (o: Record<string, unknown>): string => str(get(o, 'metadata', 'namespace')) ?? '';

export function locate(
  object: Record<string, unknown>, inputs: ReadonlySet<string>, index: SourceIndex, patchFiles: ReadonlySet<string> = new Set(),
  /** The name a source document ends up with (Flux's postBuild substitution), when not its own. */
  rename: (name: string) => string = (n) => n,
): ManifestDoc | undefined {
  // A patch names the object it patches: the object's own document is the place to point at.
  const candidates = (index.get(str(object.kind) ?? '') ?? []).filter((d) => inputs.has(d.file))
    .sort((a, b) => Number(patchFiles.has(a.file)) - Number(patchFiles.has(b.file)));
  const name = nameOf(object);
  const srcName = (d: ManifestDoc) => rename(nameOf(d.object));
  const exact = candidates.filter((d) => srcName(d) === name);
  const pool = exact.length ? exact : candidates.filter((d) => srcName(d) !== '' && name.includes(srcName(d)))
    .sort((a, b) => srcName(b).length - srcName(a).length);
  return pool.find((d) => nsOf(d.object) === nsOf(object)) ?? pool[0];
}

/** A rendered object placed at its source document, with the document's field positions. */
export const placed = (object: Record<string, unknown>, src: ManifestDoc): RenderedDoc => ({
  object, file: src.file, line: src.line, ...(src.column ? { column: src.column } : {}), ...(src.at ? { at: src.at } : {}),
});

/**
 * A ConfigMap or Secret a generator made has no document of its own: it is placed at its
 * `configMapGenerator` / `secretGenerator` entry (its name, before the hash suffix and any prefix).
 */
function generatorEntry(object: Record<string, unknown>, t: Target, snap: RepoSnapshot): RenderedDoc | undefined {
  const key = object.kind === 'Secret' ? 'secretGenerator' : object.kind === 'ConfigMap' ? 'configMapGenerator' : undefined;
  if (!key) return undefined;
  const name = nameOf(object);
  for (const file of t.inputs.filter((f) => /(^|\/)kustomization\.ya?ml$|(^|\/)Kustomization$/.test(f))) {
    const doc = parseManifests(file, snap.text(file) ?? '').docs[0];
    const entries = get(doc?.object, key);
    if (!doc || !Array.isArray(entries)) continue;
    const i = entries.findIndex((e) => { const n = str(get(e, 'name')); return !!n && (name === n || name.includes(`${n}-`) || name.endsWith(n)); });
    const pos = i >= 0 ? doc.at?.([key, i, 'name']) : undefined;
    if (pos) return { object, file, line: pos.line, column: pos.column };
  }
  return undefined;
}

type Path = readonly (string | number)[];
const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

/** `path` with a container index of the rendered object turned into that container's index in `o` (by name). */
function byContainerName(rendered: Record<string, unknown>, o: Record<string, unknown>, path: Path): Path | undefined {
  const at = path.findIndex((k, i) => typeof k === 'number' && CONTAINER_LISTS.has(String(path[i - 1])));
  if (at < 0) return path;
  const name = get(rendered, ...path.slice(0, at + 1), 'name');
  const list = get(o, ...path.slice(0, at));
  const i = Array.isArray(list) ? list.findIndex((c) => get(c, 'name') === name) : -1;
  return i < 0 ? undefined : [...path.slice(0, at), i, ...path.slice(at + 1)];
}

/**
 * A rendered object's positions: the JSON 6902 operation that set the field (or a parent of it);
 * else its own document's, a container found by name; and where a field (or a container) is not in
 * that document but in a strategic-merge patch of the object, the patch's line.
 */
function sourcePositions(rendered: Record<string, unknown>, src: ManifestDoc, patches: readonly ManifestDoc[], ops: readonly JsonPatchOp[]): RenderedDoc['at'] {
  return (path) => {
    const fromOp = json6902Position(ops, path);
    if (fromOp) return fromOp;
    const own = byContainerName(rendered, src.object, path);
    if (own && get(src.object, ...own) !== undefined) return src.at?.(own);
    const container = path.some((k, i) => typeof k === 'number' && CONTAINER_LISTS.has(String(path[i - 1])));
    for (const p of patches) {
      const inPatch = byContainerName(rendered, p.object, path);
      // The field is in the patch, or the patch is where this container comes from.
      if (inPatch && (get(p.object, ...inPatch) !== undefined || (container && own === undefined))) {
        const pos = p.at?.(inPatch);
        if (pos) return { ...pos, file: p.file };
      }
    }
    return src.at?.(own ?? path.slice(0, Math.max(0, path.findIndex((k) => typeof k === 'number'))));
  };
}

function kustomizeDocs(t: Target, text: string, index: SourceIndex, patchFiles: ReadonlySet<string>, snap: RepoSnapshot): RenderedDoc[] {
  const inputs = new Set(t.inputs);
  const flux = t.flux?.substitute ? t.flux : undefined;
  const rename = flux ? (n: string) => substituteVars(n, flux.vars) : undefined;
  const jsonPatches = json6902Ops(t.inputs, snap);
  return parseManifests(t.id, text).docs.map((d) => {
    const src = locate(d.object, inputs, index, patchFiles, rename);
    if (!src) return generatorEntry(d.object, t, snap) ?? { object: d.object };
    const own = (o: Record<string, unknown>) => (rename ? rename(nameOf(o)) : nameOf(o));
    const patches = (index.get(str(d.object.kind) ?? '') ?? [])
      .filter((p) => p !== src && inputs.has(p.file) && patchFiles.has(p.file) && own(p.object) !== '' && nameOf(d.object).includes(own(p.object)));
    const ops = jsonPatches(str(d.object.kind) ?? '', nameOf(src.object), nsOf(src.object));
    return { ...placed(d.object, src), at: sourcePositions(d.object, src, patches, ops) };
  });
}

/**
 * Line of the nth `kind: <Kind>` in a template (the nth object of that kind it rendered), the
 * closest a rendered Helm object can be placed.
 */
function kindLine(text: string | undefined, kind: string, nth: number): number | undefined {
  if (!text || !kind) return undefined;
  const re = new RegExp(`^kind:\\s*["']?${kind}["']?\\s*$`);
  const lines = text.split('\n').flatMap((l, i) => (re.test(l) ? [i + 1] : []));
  return lines[Math.min(nth, lines.length - 1)];
}

/** Documents `helm template` rendered from the chart folder `chart`, placed in its templates. */
export function chartDocs(chart: string | undefined, text: string, snap: RepoSnapshot): RenderedDoc[] {
  const out: RenderedDoc[] = [];
  const seen = new Map<string, number>();
  for (const doc of parseAllDocuments(text, { lineCounter: new LineCounter() })) {
    const object = doc.toJS() as unknown;
    if (!object || typeof object !== 'object' || Array.isArray(object)) continue;
    const o = object as Record<string, unknown>;
    // `helm test` hooks run only on request (Flux: spec.test.enable), never on install: not part of the release.
    if (/(^|,)\s*test(-success)?\s*(,|$)/.test(str(get(o, 'metadata', 'annotations', 'helm.sh/hook')) ?? '')) continue;
    const comments = `${doc.commentBefore ?? ''}\n${doc.contents?.commentBefore ?? ''}`;
    const source = /Source:\s*(\S+)/.exec(comments)?.[1];
    // `# Source: <chart name>/templates/x.yaml`: the first segment is the chart, i.e. t.chart.
    const file = source && chart ? posix.join(chart, source.split('/').slice(1).join('/')) : undefined;
    const nth = seen.get(`${file}|${str(o.kind)}`) ?? 0;
    seen.set(`${file}|${str(o.kind)}`, nth + 1);
    const line = file ? kindLine(snap.text(file), str(o.kind) ?? '', nth) : undefined;
    out.push({ object: o, ...(file ? { file } : {}), ...(line ? { line } : {}) });
  }
  return out;
}

/** Kinds kustomize never gives a namespace. */
const CLUSTER_SCOPED = /^(Namespace|Cluster\w+|CustomResourceDefinition|PersistentVolume|StorageClass|PriorityClass|IngressClass|RuntimeClass|\w+WebhookConfiguration)$/;

/** An object of a plain folder as Flux applies it: variables substituted, the targetNamespace and commonMetadata set. */
function asApplied(o: Record<string, unknown>, flux: FluxBuild): Record<string, unknown> {
  // Substituted inside JSON strings: values escaped as JSON so that quotes and backslashes stay text.
  const escaped = Object.fromEntries(Object.entries(flux.vars).map(([k, v]) => [k, JSON.stringify(v).slice(1, -1)]));
  const out = flux.substitute && !substitutionDisabled(o) ? JSON.parse(substituteVars(JSON.stringify(o), escaped)) as Record<string, unknown> : structuredClone(o);
  const ns = flux.overlay.namespace;
  const meta = { ...(out.metadata as Record<string, unknown> | undefined) };
  if (typeof ns === 'string' && !CLUSTER_SCOPED.test(str(out.kind) ?? '')) meta.namespace = ns;
  for (const key of ['labels', 'annotations'] as const) {
    const common = flux.commonMetadata?.[key] ?? {};
    if (Object.keys(common).length) meta[key] = { ...(meta[key] as Record<string, unknown> | undefined), ...common };
  }
  out.metadata = meta;
  return out;
}

/** The rendered documents of a target with their source positions. */
export function renderedDocs(
  t: Target, text: string, snap: RepoSnapshot, sources: readonly ManifestDoc[], index: SourceIndex, patchFiles: ReadonlySet<string> = new Set(),
): RenderedDoc[] {
  if (t.kind === 'plain') {
    const inputs = new Set(t.inputs);
    const flux = t.flux;
    // A folder without kustomization.yaml that Flux applies: the controller's generated build sets
    // its targetNamespace and substitutes its variables; positions stay those of the sources.
    return sources.filter((d) => inputs.has(d.file) && posix.dirname(d.file) === t.id).map((d) => placed(flux ? asApplied(d.object, flux) : d.object, d));
  }
  return t.kind === 'helm' ? chartDocs(t.chart, text, snap) : kustomizeDocs(t, text, index, patchFiles, snap);
}
