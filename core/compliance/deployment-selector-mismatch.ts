// A Deployment (or StatefulSet, DaemonSet, ReplicaSet) whose selector does not match its own pod
// template is rejected by the API server; catching it offline saves a failed rollout.
import { get } from '../yaml-docs';
import { kind, podLabels, selectorMatches, workloads } from './k8s';
import type { ComplianceCheck, Violation } from './types';

const SELECTING_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet']);

export const deploymentSelectorMismatch: ComplianceCheck = {
  id: 'deployment-selector-mismatch',
  severity: 'warning',
  help: 'spec.selector must match spec.template.metadata.labels; kustomize `labels` with includeSelectors: true keeps both in step.',
  check(docs) {
    const out: Violation[] = [];
    for (const doc of workloads(docs).filter((d) => SELECTING_KINDS.has(kind(d.object)))) {
      const selector = get(doc.object, 'spec', 'selector');
      if (selector === undefined) out.push({ doc, path: ['spec'], message: 'has no spec.selector' });
      else if (!selectorMatches(selector, podLabels(doc.object))) out.push({ doc, path: ['spec', 'selector'], message: 'spec.selector does not match the pod template labels' });
    }
    return out;
  },
};
