// A Secret committed to Git must be SOPS-encrypted. Detection follows kustomize-controller, made
// strict: a top-level `sops` block whose `mac` is an ENC[…] value, and every leaf under data /
// stringData an ENC[…] value (a half-encrypted Secret still leaks).
import { get, rec, str } from '../yaml-docs';
import { kind } from './k8s';
import type { ComplianceCheck, Violation } from './types';

const ENC = /^ENC\[[A-Z0-9_]+,data:/;

function leaves(v: unknown, path: string, out: [string, unknown][]): [string, unknown][] {
  const r = rec(v);
  if (r) for (const [k, child] of Object.entries(r)) leaves(child, path ? `${path}.${k}` : k, out);
  else out.push([path, v]);
  return out;
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
    for (const doc of docs.filter((d) => kind(d.object) === 'Secret')) {
      const values = [...leaves(doc.object.data, 'data', []), ...leaves(doc.object.stringData, 'stringData', [])]
        .filter(([, v]) => v !== undefined && v !== null);
      if (values.length === 0) continue;
      const mac = str(get(doc.object, 'sops', 'mac'));
      const plain = values.filter(([, v]) => !(typeof v === 'string' && ENC.test(v))).map(([p]) => p);
      let message: string | undefined;
      if (!mac || !ENC.test(mac)) message = `Secret has ${values.length} value(s) and no SOPS metadata (sops.mac): stored in plain text`;
      else if (plain.length) message = `SOPS-encrypted Secret has plain-text value(s): ${plain.join(', ')}`;
      if (message) out.push({ doc, message, severity: ctx.production ? 'error' : 'warning' });
    }
    return out;
  },
};
