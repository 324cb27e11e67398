// A container that may run as root turns an application bug into a node compromise more easily.
// runAsNonRoot (or a non-zero runAsUser) may be set on the pod or the container; the container wins.
import { get } from '../yaml-docs';
import { containerViolations, podSpec } from './k8s';
import type { ComplianceCheck } from './types';

function nonRoot(ctx: unknown): boolean | undefined {
  if (get(ctx, 'runAsNonRoot') === true) return true;
  const uid = get(ctx, 'runAsUser');
  if (typeof uid === 'number') return uid > 0;
  return get(ctx, 'runAsNonRoot') === false ? false : undefined;
}

export const runAsNonRoot: ComplianceCheck = {
  id: 'run-as-non-root',
  severity: 'warning',
  help: 'Set securityContext.runAsNonRoot: true (or a non-zero runAsUser) on the pod or on each container.',
  check(docs) {
    return containerViolations(docs, (c, doc) =>
      (nonRoot(c.container.securityContext) ?? nonRoot(podSpec(doc.object)?.securityContext)) === true
        ? undefined
        : `container "${c.name}" may run as root (no runAsNonRoot: true or non-zero runAsUser)`);
  },
};
