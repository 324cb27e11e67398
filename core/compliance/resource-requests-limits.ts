// Every container states cpu and memory requests (so the scheduler can place it) and limits (so
// one pod cannot starve its neighbours).
import { get, rec } from '../yaml-docs';
import { containerViolations } from './k8s';
import type { ComplianceCheck } from './types';

const FIELDS = ['requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory'] as const;

export const resourceRequestsLimits: ComplianceCheck = {
  id: 'resource-requests-limits',
  severity: 'error',
  help:
    'Each container (init containers included) sets resources.requests.cpu, resources.requests.memory, ' +
    'resources.limits.cpu and resources.limits.memory. Copy the values similar services use.',
  check(docs) {
    return containerViolations(docs, (c) => {
      const resources = rec(c.container.resources);
      const absent = FIELDS.filter((f) => {
        const [group, res] = f.split('.') as [string, string];
        const v = get(resources, group, res);
        return v === undefined || v === null || v === '';
      });
      const message = `${c.init ? 'init container' : 'container'} "${c.name}" has no resources.${absent.join(', resources.')}`;
      return absent.length ? { message, field: ['resources'] } : undefined;
    });
  },
};
