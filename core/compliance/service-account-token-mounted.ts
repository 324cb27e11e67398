// Every pod gets an API token mounted unless told otherwise; a pod that does not talk to the API
// server (it runs as the namespace's default service account, i.e. was given no permissions) only
// offers the token to whoever breaks in.
import { get, str } from '../yaml-docs';
import { podSpec, podSpecPath, workloads } from './k8s';
import type { ComplianceCheck, Violation } from './types';

export const serviceAccountTokenMounted: ComplianceCheck = {
  id: 'service-account-token-mounted',
  severity: 'warning',
  help:
    'A workload that runs as the default service account (so needs no API access) sets automountServiceAccountToken: false ' +
    'on its pod spec (or its ServiceAccount). Workloads with a service account of their own are left alone.',
  check(docs) {
    const out: Violation[] = [];
    for (const doc of workloads(docs)) {
      const spec = podSpec(doc.object);
      const account = str(spec?.serviceAccountName) ?? str(spec?.serviceAccount) ?? 'default';
      if (account !== 'default' || get(spec, 'automountServiceAccountToken') === false) continue;
      out.push({ doc, path: podSpecPath(doc.object), message: 'pod runs as the default service account with its API token mounted (set automountServiceAccountToken: false)' });
    }
    return out;
  },
};
