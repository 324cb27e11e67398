// A Service port whose targetPort its pods do not declare: by name the endpoints controller leaves
// every such pod out (no endpoints, traffic goes nowhere); by number it usually means a stale port.
// Judged only against the workloads its selector matches in the same rendering.
import { arr, get, str } from '../yaml-docs';
import { kind, mapSelectorMatches, podLabels, sameNamespace, stringMap, workloads } from './k8s';
import { podPorts, portRef, portText } from './ports';
import type { ComplianceCheck, Violation } from './types';

export const serviceTargetPortUndeclared: ComplianceCheck = {
  id: 'service-target-port-undeclared',
  severity: 'warning',
  help:
    'A Service port\'s targetPort (its `port` when unset) must be a port of the pods it selects. Judged only when the workloads ' +
    'its selector matches are rendered beside it (no match is service-selector-mismatch\'s concern). A named targetPort that no ' +
    'matched workload\'s containers name is an **error**: the Service gets no endpoints for it and its traffic goes nowhere. A ' +
    'numeric targetPort is a warning when the matched containers declare ports and none of them is that number (the Service most ' +
    'likely forwards to a stale or mistyped port; containers that declare no ports are not judged). Fix the targetPort or the ' +
    'container\'s ports[]. Services without a selector (ExternalName, hand-made Endpoints) are not judged.',
  check(docs) {
    const out: Violation[] = [];
    const pods = workloads(docs);
    for (const doc of docs.filter((d) => kind(d.object) === 'Service')) {
      const selector = stringMap(get(doc.object, 'spec', 'selector'));
      if (Object.keys(selector).length === 0) continue;
      const matched = pods.filter((p) => sameNamespace(p.object, doc.object) && mapSelectorMatches(selector, podLabels(p.object)));
      if (matched.length === 0) continue;
      const declared = matched.map((p) => podPorts(p.object));
      arr(get(doc.object, 'spec', 'ports')).forEach((p, i) => {
        const explicit = get(p, 'targetPort');
        const ref = portRef(explicit ?? get(p, 'port'));
        if (!ref) return;
        const path = ['spec', 'ports', i, explicit === undefined ? 'port' : 'targetPort'];
        const label = str(get(p, 'name')) ?? String(get(p, 'port'));
        if ('name' in ref && !declared.some((d) => d.names.has(ref.name))) {
          out.push({ doc, path, severity: 'error', message: `port ${label} targets ${portText(ref)}, which no container of the pods it selects declares: the Service has no endpoints for it` });
        } else if ('number' in ref && declared.some((d) => d.numbers.size > 0) && !declared.some((d) => d.numbers.has(ref.number))) {
          out.push({ doc, path, message: `port ${label} targets ${ref.number}, which no container of the pods it selects declares (they declare ${[...new Set(declared.flatMap((d) => [...d.numbers]))].join(', ')})` });
        }
      });
    }
    return out;
  },
};
