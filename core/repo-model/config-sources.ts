// ConfigMaps and Secrets a controller reads at run time (helm-controller's valuesFrom,
// kustomize-controller's substituteFrom), looked up in the repository: the object itself, whether
// SOPS encrypts it, and the controller that makes a Secret at run time when Git holds only its maker.
import { get, rec, str } from '../yaml-docs';

type Obj = Record<string, unknown>;

export const nameIs = (o: Obj, kind: string, name: string): boolean => o.kind === kind && str(get(o, 'metadata', 'name')) === name;
/** An object without a namespace lands in the namespace it is applied to. */
export const nsFits = (o: Obj, ns: string): boolean => (str(get(o, 'metadata', 'namespace')) ?? ns) === ns;

/** A ConfigMap or Secret of `ns` named `name`, if the repository writes one. */
export const findConfigSource = (objects: readonly Obj[], kind: string, name: string, ns: string): Obj | undefined =>
  objects.find((o) => nameIs(o, kind, name) && nsFits(o, ns));

export const sopsEncrypted = (o: Obj): boolean => o.sops !== undefined || /ENC\[AES256_GCM/.test(JSON.stringify(o.data ?? o.stringData ?? {}));

/** A controller that makes this Secret at run time (in `ns`, or any namespace), if the repository holds one. */
export function madeAtRunTime(name: string, ns: string | undefined, objects: readonly Obj[]): string | undefined {
  for (const o of objects) {
    if (ns !== undefined && !nsFits(o, ns)) continue;
    const own = str(get(o, 'metadata', 'name'));
    if (o.kind === 'ExternalSecret' && (str(get(o, 'spec', 'target', 'name')) ?? own) === name) return `ExternalSecret/${own}`;
    if (o.kind === 'SealedSecret' && (str(get(o, 'spec', 'template', 'metadata', 'name')) ?? own) === name) return `SealedSecret/${own}`;
  }
  return undefined;
}

/** Every key of a ConfigMap or Secret with its text (Secret data decoded, stringData as written). */
export function configData(o: Obj): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(rec(o.data) ?? {})) if (typeof v === 'string') out[k] = o.kind === 'Secret' ? Buffer.from(v, 'base64').toString('utf8') : v;
  if (o.kind === 'Secret') for (const [k, v] of Object.entries(rec(o.stringData) ?? {})) if (typeof v === 'string') out[k] = v;
  return out;
}
