// The one redactor: what must never reach a model (or any third party) is found in a file's text by
// its structure — values of Secret `data`/`stringData`, SealedSecret `encryptedData`, kubeconfig
// credentials, kustomize secretGenerator literals and sources, `.env` files — and by its shape
// anywhere — SOPS `ENC[…]` values, private keys, age keys. Each span becomes
// `<redacted: N characters>`; keys and structure stay, so a model can still write a correct
// Secret template. The values found are kept, so that any other text (a validator's output, a
// copy of the value in another file) is cleaned of them too.
import { posix } from 'node:path';
import { isMap, isScalar, isSeq, parseAllDocuments, type Node as YamlNode } from 'yaml';

export const placeholder = (chars: number): string => `<redacted: ${chars} characters>`;
/** What a placeholder looks like, to refuse writing one back as if it were a value. */
export const PLACEHOLDER_PATTERN = /<redacted: \d+ characters>/;

/** A region of the raw text to hide, [start, end). */
export interface Span {
  start: number;
  end: number;
  /**
   * Shown as a quoted scalar (a YAML value: `password: "<redacted: 9 characters>"` stays valid YAML),
   * after `prefix`, a visible part of the region (a secretGenerator literal's `key=`).
   */
  quote?: boolean;
  prefix?: string;
}

/** Files that kustomize secretGenerators read: shown redacted whole (`files`) or as env files (`envs`). */
export interface SecretSources {
  files: ReadonlySet<string>;
  envs: ReadonlySet<string>;
}

export const NO_SOURCES: SecretSources = { files: new Set(), envs: new Set() };

/** Values shorter than this are hidden where they stand, but not searched for in other text (too common). */
const MIN_TRACKED_VALUE = 6;

const SHAPES: RegExp[] = [
  /ENC\[[A-Z0-9_]+,data:[^\]]*\]/g,
  /-----BEGIN [A-Z0-9 ]*(?:PRIVATE KEY|ENCRYPTED FILE)[A-Z ]*-----[\s\S]*?-----END [A-Z0-9 ]*(?:PRIVATE KEY|ENCRYPTED FILE)[A-Z ]*-----/g,
  /AGE-SECRET-KEY-1[0-9A-Z]{20,}/g,
];

const KUBECONFIG_SECRET_KEY = /^(token|password|client-key-data|client-certificate-data|id-token|refresh-token|access-token|client-secret)$/i;

export const isEnvFile = (file: string): boolean => /^\.env(\..+)?$|\.env$/.test(posix.basename(file));
const isYaml = (file: string): boolean => /\.ya?ml$/i.test(file);

/** Where the secrets of one file's text are, and their values. */
export function secretSpans(file: string, text: string, sources: SecretSources = NO_SOURCES): Span[] {
  if (sources.files.has(file)) return text.length ? [{ start: 0, end: text.length }] : [];
  const spans: Span[] = [];
  for (const re of SHAPES) for (const m of text.matchAll(re)) spans.push({ start: m.index, end: m.index + m[0].length });
  if (isEnvFile(file) || sources.envs.has(file)) spans.push(...envSpans(text));
  else if (isYaml(file) && /\b(Secret|SealedSecret|Config|secretGenerator)\b/.test(text)) spans.push(...yamlSpans(text));
  return merge(spans);
}

/** `KEY=value` lines: the value after the first `=`. */
function envSpans(text: string): Span[] {
  const spans: Span[] = [];
  let offset = 0;
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*=\s*/.exec(line);
    if (m && !line.trimStart().startsWith('#')) {
      const value = line.slice(m[0].length).replace(/\r$/, '');
      if (value.length) spans.push({ start: offset + m[0].length, end: offset + m[0].length + value.length });
    }
    offset += line.length + 1;
  }
  return spans;
}

function yamlSpans(text: string): Span[] {
  const spans: Span[] = [];
  let docs;
  try {
    docs = parseAllDocuments(text);
  } catch {
    return spans;
  }
  if (!Array.isArray(docs)) return spans;
  const valueSpan = (n: YamlNode | null | undefined) => {
    if (!n?.range) return;
    const start = n.range[0];
    let end = n.range[1];
    while (end > start && /\s/.test(text[end - 1] ?? '')) end--;
    if (end > start) spans.push({ start, end, quote: true });
  };
  const valuesOf = (n: unknown) => {
    if (isMap(n)) for (const p of n.items) valueSpan(p.value as YamlNode);
  };
  const walk = (n: unknown, kubeconfig: boolean) => {
    if (isSeq(n)) for (const item of n.items) walk(item, kubeconfig);
    if (!isMap(n)) return;
    const kind = n.get('kind');
    if (kind === 'Secret') {
      valuesOf(n.get('data', true));
      valuesOf(n.get('stringData', true));
    }
    if (kind === 'SealedSecret') {
      const spec = n.get('spec', true);
      if (isMap(spec)) valuesOf(spec.get('encryptedData', true));
    }
    const inConfig = kubeconfig || kind === 'Config';
    for (const p of n.items) {
      const key = isScalar(p.key) ? String(p.key.value) : '';
      if (inConfig && KUBECONFIG_SECRET_KEY.test(key) && isScalar(p.value)) valueSpan(p.value);
      if (key === 'secretGenerator') literalSpans(p.value, text, spans);
      walk(p.value, inConfig);
    }
  };
  for (const doc of docs) walk(doc.contents, false);
  return spans;
}

/** kustomize `secretGenerator[].literals: [key=value]`: the part after the first `=`. */
function literalSpans(generators: unknown, text: string, spans: Span[]): void {
  if (!isSeq(generators)) return;
  for (const g of generators.items) {
    if (!isMap(g)) continue;
    const literals = g.get('literals', true);
    if (!isSeq(literals)) continue;
    for (const l of literals.items) {
      if (!isScalar(l) || !l.range || typeof l.value !== 'string') continue;
      const raw = text.slice(l.range[0], l.range[1]);
      const eq = raw.indexOf('=');
      const quoted = /^["']/.test(raw);
      const close = quoted ? raw.length - 1 : raw.trimEnd().length;
      if (eq < 0 || close <= eq + 1) continue;
      // Inside quotes the value alone; a plain scalar is shown quoted whole, its key kept.
      spans.push(quoted ? { start: l.range[0] + eq + 1, end: l.range[0] + close } : { start: l.range[0], end: l.range[0] + close, quote: true, prefix: raw.slice(0, eq + 1) });
    }
  }
}

/** Overlapping or touching spans as one, in order (quoted when any part is; the first part's prefix kept). */
export function merge(spans: Span[]): Span[] {
  const sorted = [...spans].filter((s) => s.end > s.start).sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Span[] = [];
  for (const s of sorted) {
    const last = out.at(-1);
    if (last && s.start <= last.end) {
      last.end = Math.max(last.end, s.end);
      if (s.quote) last.quote = true;
    } else {
      out.push({ ...s });
    }
  }
  return out;
}

/** The strings worth looking for elsewhere: each hidden value, and the decoded form of a base64 one. */
export function trackedValues(text: string, spans: Span[]): string[] {
  const out = new Set<string>();
  for (const s of spans) {
    const raw = text.slice(s.start + (s.prefix?.length ?? 0), s.end).replace(/^["']|["']$/g, '');
    for (const v of [raw, ...raw.split(/\r?\n/).map((l) => l.trim())]) if (v.length >= MIN_TRACKED_VALUE) out.add(v);
    if (/^[A-Za-z0-9+/=\s]+$/.test(raw) && raw.replace(/\s/g, '').length >= 8) {
      const decoded = Buffer.from(raw.replace(/\s/g, ''), 'base64').toString('utf8');
      if (decoded.length >= MIN_TRACKED_VALUE && !decoded.includes('\uFFFD')) out.add(decoded);
    }
  }
  return [...out];
}

/** Occurrences of known values in a text. */
export function valueSpans(text: string, values: Iterable<string>): Span[] {
  const spans: Span[] = [];
  for (const v of values) {
    for (let i = text.indexOf(v); i >= 0; i = text.indexOf(v, i + v.length)) spans.push({ start: i, end: i + v.length });
  }
  return spans;
}

/** A text with spans replaced by placeholders, and the map between both forms. */
export interface RedactedView {
  text: string;
  /** Hidden regions of the raw text, merged, in order. */
  spans: Span[];
  /** For each span, where its placeholder stands in the view. */
  shown: Span[];
}

export function applySpans(raw: string, spans: Span[]): RedactedView {
  const merged = merge(spans);
  let text = '';
  let at = 0;
  const shown: Span[] = [];
  for (const s of merged) {
    text += raw.slice(at, s.start);
    const prefix = s.prefix ?? '';
    const hidden = placeholder(s.end - s.start - prefix.length);
    const p = s.quote ? `"${prefix}${hidden}"` : `${prefix}${hidden}`;
    shown.push({ start: text.length, end: text.length + p.length });
    text += p;
    at = s.end;
  }
  return { text: text + raw.slice(at), spans: merged, shown };
}

/** Free text (a validator's output, guidance, knowledge): shapes and known values hidden. */
export function redactText(text: string, values: Iterable<string> = []): string {
  const spans: Span[] = [];
  for (const re of SHAPES) for (const m of text.matchAll(re)) spans.push({ start: m.index, end: m.index + m[0].length });
  return applySpans(text, [...spans, ...valueSpans(text, values)]).text;
}

/**
 * Where a replacement made on the view lands in the raw text: the view's [start, end) mapped back,
 * or undefined when it touches a placeholder (a hidden value is never edited through its placeholder).
 */
export function viewToRaw(view: RedactedView, start: number, end: number): Span | undefined {
  let delta = 0;
  for (const [i, s] of view.shown.entries()) {
    const raw = view.spans[i] as Span;
    if (end <= s.start) break;
    if (start < s.end) return undefined;
    delta = raw.end - s.end;
  }
  return { start: start + delta, end: end + delta };
}

/** The secretGenerator sources a kustomization names, relative to the root. */
export function secretGeneratorSources(kustomizationFile: string, text: string): { files: string[]; envs: string[] } {
  const out = { files: [] as string[], envs: [] as string[] };
  if (!text.includes('secretGenerator')) return out;
  const dir = posix.dirname(kustomizationFile);
  const rel = (p: string) => posix.normalize(posix.join(dir, p.includes('=') ? p.slice(p.indexOf('=') + 1) : p));
  try {
    for (const doc of parseAllDocuments(text)) {
      const gens = isMap(doc.contents) ? doc.contents.get('secretGenerator') : undefined;
      if (!isSeq(gens)) continue;
      for (const g of gens.items) {
        if (!isMap(g)) continue;
        for (const [key, into] of [['files', out.files], ['envs', out.envs], ['env', out.envs]] as const) {
          const list = g.get(key);
          const items = isSeq(list) ? list.items : isScalar(list) ? [list] : [];
          for (const it of items) if (isScalar(it) && typeof it.value === 'string') into.push(rel(it.value));
        }
      }
    }
  } catch {
    // A kustomization that does not parse names no sources; the validators report it.
  }
  return out;
}
