// A ConfigMap is not meant for secrets: it is never encrypted at rest, every reader of the namespace's
// configuration sees it, and SOPS setups encrypt Secrets only. A key named like a secret with a literal
// value is a secret in the clear; the value is never repeated in the finding.
import { rec } from '../yaml-docs';
import { kind } from './k8s';
import { namesASecret, notASecret } from './secret-names';
import type { ComplianceCheck, Violation } from './types';

export const secretInConfigMap: ComplianceCheck = {
  id: 'secret-in-configmap',
  severity: 'warning',
  help:
    'A ConfigMap `data` key whose name says it holds a secret (the same names as secret-in-env: DB_PASSWORD, api-token, ' +
    'tls.key, client_secret, SECRET_KEY_BASE, …) must not carry a literal value: ConfigMaps are not encrypted (SOPS rules ' +
    'and RBAC treat Secrets only as secret). Move the key to a SOPS-encrypted Secret (or an ExternalSecret) and read it from ' +
    'there. Exempt: the same values as secret-in-env (empty, a reference such as `${VAR}`, `op://…`, `vault:…`, a path, a ' +
    'switch such as true or 0/1) and names that point at a secret rather than hold it (`KEY_FILE`, `TOKEN_PATH`, `*_SECRET_NAME`, `PUBLIC_KEY`). ' +
    '`binaryData` is not judged. Error in production overlays, warning elsewhere.',
  check(docs, ctx) {
    const out: Violation[] = [];
    for (const doc of docs.filter((d) => kind(d.object) === 'ConfigMap')) {
      const keys = Object.entries(rec(doc.object.data) ?? {})
        .filter(([k, v]) => namesASecret(k) && v !== null && v !== undefined && notASecret(String(v)) === undefined)
        .map(([k]) => k);
      const first = keys[0];
      if (first === undefined) continue;
      out.push({
        doc,
        path: ['data', first],
        message: `ConfigMap key(s) ${keys.join(', ')} named like a secret hold a literal value: a secret in the clear (move it to an encrypted Secret)`,
        severity: ctx.production ? 'error' : 'warning',
      });
    }
    return out;
  },
};
