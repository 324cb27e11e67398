// A Secret committed to Git must be SOPS-encrypted. Detection follows kustomize-controller, made
// strict: a top-level `sops` block whose `mac` is an ENC[…] value, and every leaf under data /
// stringData an ENC[…] value (a half-encrypted Secret still leaks).
import { get, rec, str } from '../yaml-docs';
import { kind } from './k8s';
import type { ComplianceCheck, Violation } from './types';

const ENC = /^ENC\[[A-Z0-9_]+,data:/;
/**
 * A value that only names where a secret lives — a 1Password reference resolved by `op inject`,
 * a vals `ref+…://` or an argocd-vault-plugin `<path:…>` — holds nothing secret itself.
 */
const SECRET_REFERENCE = /^\s*(op:\/\/\S+|ref\+[a-z0-9]+:\/\/\S+|<path:[^>]+>)\s*$/;

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
  const values = secretValuePaths(o);
  if (values.length === 0) return undefined;
  if (values.every(([, v]) => typeof v === 'string' && SECRET_REFERENCE.test(v))) return undefined;
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
    '`sops --encrypt --encrypted-regex "^(data|stringData)$" --in-place FILE`. Error in production overlays, warning elsewhere.',
  check(docs, ctx) {
    const out: Violation[] = [];
    for (const doc of docs) {
      const message = plaintextSecretProblem(doc.object);
      if (message) out.push({ doc, message, severity: ctx.production ? 'error' : 'warning' });
    }
    return out;
  },
};
