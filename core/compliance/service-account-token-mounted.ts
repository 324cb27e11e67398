// Every pod gets an API token mounted unless told otherwise; a pod that does not talk to the API
// server (it runs as the namespace's default service account, i.e. was given no permissions) only
// offers the token to whoever breaks in. The pod spec's setting wins over its ServiceAccount's.
import { get, str } from '../yaml-docs';
import { podSpec, podSpecPath, workloads } from './k8s';
import { serviceAccountFor } from './facts';
import type { ComplianceCheck, Violation } from './types';

export const serviceAccountTokenMounted: ComplianceCheck = {
  id: 'service-account-token-mounted',
  severity: 'warning',
  help:
    'A workload that runs as the default service account (so needs no API access) does not mount its token: ' +
    'automountServiceAccountToken: false on its pod spec, or on the ServiceAccount default of its namespace (rendered with it, ' +
    'or written anywhere in the repository). The pod spec wins: automountServiceAccountToken: true there fires whatever the ' +
    'ServiceAccount says. Workloads with a service account of their own are left alone. kube-linter default-service-account ' +
    '(fires on the default account whatever the token); Polaris automountServiceAccountToken; checkov CKV_K8S_38.',
  check(docs, ctx) {
    const out: Violation[] = [];
    for (const doc of workloads(docs)) {
      const spec = podSpec(doc.object);
      const account = str(spec?.serviceAccountName) ?? str(spec?.serviceAccount) ?? 'default';
      if (account !== 'default') continue;
      const own = get(spec, 'automountServiceAccountToken');
      if (own === false) continue;
      if (own === undefined && serviceAccountFor(doc, account, docs, ctx.repo?.serviceAccounts)?.automountServiceAccountToken === false) continue;
      const why = own === true ? 'its pod spec sets automountServiceAccountToken: true' : 'set automountServiceAccountToken: false on the pod or its ServiceAccount';
      out.push({ doc, path: own === true ? [...podSpecPath(doc.object), 'automountServiceAccountToken'] : podSpecPath(doc.object), message: `pod runs as the default service account with its API token mounted (${why})` });
    }
    return out;
  },
};
