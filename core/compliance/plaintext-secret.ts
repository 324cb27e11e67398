// A Secret committed to Git must be SOPS-encrypted. Detection follows kustomize-controller, made
// strict: a top-level `sops` block whose `mac` is an ENC[…] value, and every leaf under data /
// stringData an ENC[…] value (a half-encrypted Secret still leaks).
import { get, rec, str } from '../yaml-docs';
import { kind } from './k8s';
import type { ComplianceCheck, Violation } from './types';

const ENC = /^ENC\[[A-Z0-9_]+,data:/;
/**
 * A value that only names where a secret lives — a 1Password reference resolved by `op inject`, a
 * vals `ref+…://`, an argocd-vault-plugin `<path:…>`, a bank-vaults `vault:…`, or a Flux
 * `${VARIABLE}` that postBuild substitutes from a Secret — holds nothing secret itself.
 */
export const SECRET_REFERENCE = /^\s*(op:\/\/\S+|ref\+[a-z0-9]+:\/\/\S+|<path:[^>]+>|vault:\S+|\$\{[A-Za-z_][A-Za-z0-9_]*(:?=[^}]*)?\})\s*$/;
/** A SOPS-encrypted file or dotenv value, as a secretGenerator carries it once kustomize has read it. */
const SOPS_ENCRYPTED = /ENC\[[A-Z0-9_]+,data:/;

function leaves(v: unknown, path: string, out: [string, unknown][]): [string, unknown][] {
  const r = rec(v);
  if (r) for (const [k, child] of Object.entries(r)) leaves(child, path ? `${path}.${k}` : k, out);
  else out.push([path, v]);
  return out;
}

/** The value paths (`data.x`, `stringData.y`) of a Secret object; empty for anything else. */
export function secretValuePaths(o: Record<string, unknown>): [string, unknown][] {
  if (kind(o) !== 'Secret') return [];
  return [...leaves(o.data, 'data', []), ...leaves(o.stringData, 'stringData', [])]
    .filter(([, v]) => v !== undefined && v !== null);
}

/**
 * A `data` value that is a SOPS-encrypted file or dotenv value once decoded: what a secretGenerator
 * makes of a `*.sops.*` file, which kustomize-controller decrypts when it builds.
 */
function generatedFromSops(path: string, v: string): boolean {
  // Only generated `data` (base64 of the file); ENC[…] values written by hand need the sops block.
  return path.startsWith('data.') && SOPS_ENCRYPTED.test(Buffer.from(v, 'base64').toString('utf8'));
}

/** True when the object carries SOPS metadata as kustomize-controller requires it: `sops.mac` an ENC[…] value. */
export function hasSopsMetadata(o: Record<string, unknown>): boolean {
  const mac = str(get(o, 'sops', 'mac'));
  return !!mac && ENC.test(mac);
}

/**
 * Why a Secret object would leak its values if committed, or undefined when it holds none or is
 * fully SOPS-encrypted. Pure: shared by the compliance check and the sealing activity.
 */
export function plaintextSecretProblem(o: Record<string, unknown>): string | undefined {
  // An empty value holds nothing, and sops leaves empty strings unencrypted.
  const values = secretValuePaths(o).filter(([, v]) => v !== '');
  if (values.length === 0) return undefined;
  // A dotenv file encrypted by sops carries its metadata as `sops_*` keys beside the ENC[…] values.
  const dotenv = values.some(([p, v]) => p === 'data.sops_mac' && typeof v === 'string' && generatedFromSops(p, v));
  const own = dotenv ? values.filter(([p]) => !p.startsWith('data.sops_')) : values;
  if (own.every(([p, v]) => typeof v === 'string' && (SECRET_REFERENCE.test(v) || generatedFromSops(p, v)))) return undefined;
  if (!hasSopsMetadata(o)) return `Secret has ${values.length} value(s) and no SOPS metadata (sops.mac): stored in plain text`;
  const plain = values.filter(([, v]) => !(typeof v === 'string' && ENC.test(v))).map(([p]) => p);
  return plain.length ? `SOPS-encrypted Secret has plain-text value(s): ${plain.join(', ')}` : undefined;
}

export const plaintextSecret: ComplianceCheck = {
  id: 'plaintext-secret',
  severity: 'warning',
  help:
    'A Secret with data or stringData must be encrypted with SOPS (a `sops:` block and ENC[…] values), and the ' +
    'Flux Kustomization that applies it needs `spec.decryption.provider: sops`. Encrypt it with ' +
    '`sops --encrypt --encrypted-regex "^(data|stringData)$" --in-place FILE`. Error in production overlays, warning elsewhere. ' +
    'Exempt: values that only name a secret (`op://`, `ref+…://`, `<path:…>`, `vault:…`, a Flux `${VAR}`), empty values ' +
    '(sops leaves them unencrypted), and Secrets a secretGenerator makes from SOPS-encrypted files.',
  check(docs, ctx) {
    const out: Violation[] = [];
    for (const doc of docs) {
      const message = plaintextSecretProblem(doc.object);
      if (message) out.push({ doc, message, severity: ctx.production ? 'error' : 'warning' });
    }
    return out;
  },
};
