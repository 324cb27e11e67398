// Loading the compiled schema validator of an apiVersion/kind from kubernetes-models (Kubernetes
// API, schemas merged up to 1.36) or @kubernetes-models/flux-cd (Flux CRDs). Unknown kinds: none.
export interface SchemaError {
  instancePath: string;
  message: string;
  /** ajv's keyword and parameters (`enum` → allowedValues), to name what was expected. */
  keyword?: string;
  params?: Record<string, unknown>;
}

/** Validates one object; returns its errors, empty when valid. Throws on values it cannot inspect. */
export type SchemaCheck = (data: unknown) => SchemaError[];

const SAFE_PART = /^[A-Za-z0-9.-]+$/;

/** The module path of a model class; undefined when apiVersion/kind cannot name one. */
export function modelModule(apiVersion: string, kind: string): string | undefined {
  const parts = apiVersion.split('/');
  if (parts.length > 2 || !parts.every((p) => SAFE_PART.test(p)) || !/^[A-Za-z0-9]+$/.test(kind)) return undefined;
  if (parts.length === 1) return `kubernetes-models/${parts[0]}/${kind}`;
  const [group] = parts;
  return group?.endsWith('.toolkit.fluxcd.io') ? `@kubernetes-models/flux-cd/${apiVersion}/${kind}` : `kubernetes-models/${apiVersion}/${kind}`;
}

interface ModelClass {
  prototype: { validate(this: unknown): void };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A `format: byte` error on base64 broken over lines (as kustomize and `base64` write long values):
 * the API server's decoder skips line breaks, so the value is good. Judged on the value itself.
 */
function wrappedBase64(data: unknown, e: SchemaError): boolean {
  if (e.keyword !== 'format' || (e.params as { format?: string } | undefined)?.format !== 'byte') return false;
  let v: unknown = data;
  for (const part of e.instancePath.split('/').slice(1)) v = (v as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  return typeof v === 'string' && /[\r\n]/.test(v) && BASE64.test(v.replace(/[\r\n]/g, ''));
}

async function load(apiVersion: string, kind: string): Promise<SchemaCheck | undefined> {
  const specifier = modelModule(apiVersion, kind);
  if (!specifier) return undefined;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(specifier)) as Record<string, unknown>;
  } catch {
    return undefined; // no such model: a CRD or a kind these schemas do not know
  }
  const cls = mod[kind] as ModelClass | undefined;
  if (typeof cls?.prototype?.validate !== 'function') return undefined;
  return (data) => {
    try {
      cls.prototype.validate.call(data);
      return [];
    } catch (e) {
      const errors = (e as { errors?: SchemaError[] }).errors;
      if (Array.isArray(errors)) {
        return errors.filter((x) => !wrappedBase64(data, x)).map((x) => ({ instancePath: x.instancePath, message: x.message, ...(x.keyword ? { keyword: x.keyword } : {}), ...(x.params ? { params: x.params } : {}) }));
      }
      throw e;
    }
  };
}

const loaded = new Map<string, Promise<SchemaCheck | undefined>>();

export function schemaFor(apiVersion: string, kind: string): Promise<SchemaCheck | undefined> {
  const key = `${apiVersion}/${kind}`;
  let p = loaded.get(key);
  if (!p) loaded.set(key, (p = load(apiVersion, kind)));
  return p;
}
