// `schema`: offline validation of every rendered document against the Kubernetes OpenAPI schemas
// and the Flux CRDs.
//
// Why kubernetes-models + @kubernetes-models/flux-cd: they are the only npm packages that ship the
// Kubernetes API schemas (merged over versions up to 1.36) and the Flux CRDs (Kustomization,
// HelmRelease, GitRepository, HelmRepository, OCIRepository, …) as validators compiled with ajv, so
// validation is offline, in-process (no process per document) and versioned by the lock file. The
// alternatives need data this machine cannot fetch: kubeconform needs JSON schemas downloaded or
// generated from an OpenAPI document no registry package carries; ajv needs the same schemas.
// Their one weakness — no check of unknown fields (a fixture test proves it) — is closed by
// ./unknown-fields, which probes the same compiled schemas. Kinds they do not know (other CRDs)
// are reported `skipped`, never passed.
import type { RenderedDoc } from '../core/compliance';
import { resourceId } from '../core/compliance/k8s';
import type { ValidationResult } from '../core/schemas';
import { str } from '../core/yaml-docs';
import { schemaFor, type SchemaError } from './schema-models';
import { unknownFields } from './unknown-fields';

/** Kinds whose schemas are free-form by design (JSONSchemaProps): only typed checks apply. */
const NO_STRICT_GROUPS = /^apiextensions\.k8s\.io\//;
const MAX_SHOWN = 10;

/**
 * SOPS adds a top-level `sops` block and turns data values into ENC[…] strings that are not base64.
 * Validate the Secret as it will be after decryption: without the block, values blanked.
 */
function decryptedShape(o: Record<string, unknown>): Record<string, unknown> {
  if (o.kind !== 'Secret' || o.sops === undefined) return o;
  const { sops: _sops, ...rest } = o;
  for (const key of ['data', 'stringData'] as const) {
    const m = rest[key];
    if (m && typeof m === 'object') rest[key] = Object.fromEntries(Object.keys(m).map((k) => [k, '']));
  }
  return rest;
}

interface DocProblem {
  doc: RenderedDoc;
  text: string;
  /** JSON pointer of the offending field, for its line and column. */
  pointer: string;
}

/**
 * Kinds newer than the Flux CRD schemas the models ship (the Flux Operator's, source-watcher's): an
 * Alert or Receiver naming one is valid for the controllers that run today.
 */
const NEWER_FLUX_KINDS = new Set(['FluxInstance', 'FluxReport', 'ResourceSet', 'ResourceSetInputProvider', 'ArtifactGenerator', 'ExternalArtifact']);

const valueAt = (data: unknown, pointer: string): unknown =>
  pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), data);

const shown = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v)?.slice(0, 80) ?? String(v));

/** An ajv error as people read it: where, the value found, and what is allowed. */
function describe(e: SchemaError, data: unknown): string {
  const where = e.instancePath || '/';
  const value = valueAt(data, e.instancePath);
  const allowed = e.params?.allowedValues;
  if (e.keyword === 'enum' && Array.isArray(allowed)) return `${where}: ${shown(value)} is not one of ${allowed.map(String).join(', ')}`;
  if (e.keyword === 'required' || e.keyword === 'additionalProperties') return `${where} ${e.message}`;
  return `${where}: ${shown(value)} ${e.message}`;
}

const pointerToPath = (p: string): (string | number)[] =>
  p.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).map((s) => (/^\d+$/.test(s) ? Number(s) : s));

async function checkDoc(doc: RenderedDoc): Promise<{ unknownKind?: string; problems: { text: string; pointer: string }[] }> {
  const apiVersion = str(doc.object.apiVersion) ?? '';
  const kind = str(doc.object.kind) ?? '';
  const check = await schemaFor(apiVersion, kind);
  if (!check) return { unknownKind: `${apiVersion} ${kind}`, problems: [] };
  const data = structuredClone(decryptedShape(doc.object));
  const problems = check(data)
    .filter((e) => !(e.keyword === 'enum' && /toolkit\.fluxcd\.io\//.test(apiVersion) && NEWER_FLUX_KINDS.has(String(valueAt(data, e.instancePath)))))
    .map((e: SchemaError) => ({ text: describe(e, data), pointer: e.instancePath }));
  if (!NO_STRICT_GROUPS.test(apiVersion)) {
    problems.push(...unknownFields(check, `${apiVersion}/${kind}`, data).map((p) => ({ text: `${p} is not a field of ${kind} (unknown field)`, pointer: p })));
  }
  return { problems };
}

const position = (f: DocProblem): { line?: number; column?: number } => {
  const at = f.doc.at?.(pointerToPath(f.pointer));
  return at ?? { ...(f.doc.line ? { line: f.doc.line } : {}), ...(f.doc.column ? { column: f.doc.column } : {}) };
};
const where = (f: DocProblem, target: string): string => {
  const p = position(f);
  return `${f.doc.file ?? target}${p.line ? `:${p.line}` : ''}${p.line && p.column ? `:${p.column}` : ''}`;
};

export async function validateSchemas(target: string, docs: readonly RenderedDoc[]): Promise<ValidationResult[]> {
  const failures: DocProblem[] = [];
  const unknown = new Map<string, number>();
  let valid = 0;
  for (const doc of docs) {
    const r = await checkDoc(doc);
    if (r.unknownKind) unknown.set(r.unknownKind, (unknown.get(r.unknownKind) ?? 0) + 1);
    else if (r.problems.length) failures.push(...r.problems.map((p) => ({ doc, ...p })));
    else valid++;
  }
  const out: ValidationResult[] = [];
  const first = failures[0];
  if (first) {
    const lines = failures.slice(0, MAX_SHOWN).map((f) => `${where(f, target)}: ${resourceId(f.doc.object)}: ${f.text}`);
    if (failures.length > MAX_SHOWN) lines.push(`… and ${failures.length - MAX_SHOWN} more`);
    out.push({
      validator: 'schema', target, status: 'fail', message: lines.join('\n'),
      ...(first.doc.file ? { file: first.doc.file } : {}), ...position(first),
    });
  } else if (valid > 0) {
    out.push({ validator: 'schema', target, status: 'pass', message: `${valid} document(s) valid against the Kubernetes and Flux schemas (strict)` });
  }
  if (unknown.size) {
    const list = [...unknown].map(([k, n]) => `${k} (${n})`).join(', ');
    out.push({ validator: 'schema', target, status: 'skipped', message: `no schema for: ${list}` });
  }
  return out;
}
