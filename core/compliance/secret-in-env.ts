// A password or token written as a literal env value sits in the pod spec: readable by anyone who
// can read the workload (or its ReplicaSets, or Git), never rotated with the Secret. Names and values
// are judged by secret-names; the value itself is never repeated in the finding.
import { arr, get, rec, str } from '../yaml-docs';
import { containerViolations } from './k8s';
import { namesASecret, notASecret } from './secret-names';
import type { ComplianceCheck } from './types';

/** An env entry whose name says secret and whose literal value may be one. */
function literalSecret(e: unknown): boolean {
  const name = str(get(e, 'name'));
  const value = get(e, 'value');
  if (!name || rec(get(e, 'valueFrom')) || value === undefined || value === null) return false;
  return namesASecret(name) && notASecret(String(value)) === undefined;
}

export const secretInEnv: ComplianceCheck = {
  id: 'secret-in-env',
  severity: 'warning',
  help:
    'A container env var whose name says it holds a secret (its last word PASSWORD, PASSWD, PWD, PASS, TOKEN, SECRET, KEY, ' +
    'CREDENTIAL(S), PASSPHRASE, API_KEY, PRIVATE_KEY; or PASSWORD, SECRET, CREDENTIAL anywhere, as in SECRET_KEY_BASE) must not carry ' +
    'a literal `value`: the secret is then stored in the workload (and in Git), visible to anyone who can read it. Read it from a ' +
    'Secret with `valueFrom.secretKeyRef` (or envFrom.secretRef). Exempt: values that are clearly not secrets — empty, a reference ' +
    '(`$(VAR)`, `${VAR}`, `op://…`, `vault:…`, `ref+…://`, `<path:…>`), a file path, a switch (true/false, yes/no, on/off, 0/1) — and names that point at a ' +
    'secret rather than hold it (`KEY_FILE`, `TOKEN_PATH`, `DB_SECRET_NAME`, `*_URL`, `*_USER`, `*_TTL`, …) or are no secret ' +
    '(`PUBLIC_KEY`, `CACHE_KEY`; an S3-style `ACCESS_KEY` or `AWS_ACCESS_KEY_ID`, the public half beside its SECRET_KEY). ' +
    'The value is never repeated in the finding. Error in production overlays, warning elsewhere.',
  check(docs, ctx) {
    return containerViolations(docs, (c) => {
      const env = arr(c.container.env);
      const secrets = env.flatMap((e, i) => (literalSecret(e) ? [i] : []));
      const first = secrets[0];
      if (first === undefined) return undefined;
      const names = secrets.map((i) => str(get(env[i], 'name'))).join(', ');
      return { message: `container "${c.name}" sets ${names} to a literal value: a secret in the pod spec (use valueFrom.secretKeyRef)`, field: ['env', first, 'value'] };
    }).map((v) => ({ ...v, severity: ctx.production ? 'error' : 'warning' }));
  },
};
