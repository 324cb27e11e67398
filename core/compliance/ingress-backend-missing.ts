// An Ingress routing to a Service (or a Service port) that does not exist answers 503 for that path.
// A Service may legitimately live elsewhere — another Flux Kustomization of the same namespace, a chart
// or an operator — so a missing one is judged only where the rendering and the repository can say so.
import { arr, get, str } from '../yaml-docs';
import { kind, name, sameNamespace, type Obj } from './k8s';
import { portRef, portText, type PortRef } from './ports';
import type { CheckContext, ComplianceCheck, RenderedDoc, Violation } from './types';

interface Backend { service: string; port?: PortRef; namePath: (string | number)[]; portPath: (string | number)[] }

/** Every Service backend of an Ingress (networking.k8s.io/v1 and the old serviceName/servicePort form). */
function backends(o: Obj): Backend[] {
  const out: Backend[] = [];
  const add = (b: unknown, path: (string | number)[]) => {
    const v1 = str(get(b, 'service', 'name'));
    if (v1) out.push({ service: v1, port: portRef(get(b, 'service', 'port', 'name') ?? get(b, 'service', 'port', 'number')), namePath: [...path, 'service', 'name'], portPath: [...path, 'service', 'port'] });
    const old = str(get(b, 'serviceName'));
    if (old) out.push({ service: old, port: portRef(get(b, 'servicePort')), namePath: [...path, 'serviceName'], portPath: [...path, 'servicePort'] });
  };
  add(get(o, 'spec', 'defaultBackend'), ['spec', 'defaultBackend']);
  add(get(o, 'spec', 'backend'), ['spec', 'backend']);
  arr(get(o, 'spec', 'rules')).forEach((r, i) =>
    arr(get(r, 'http', 'paths')).forEach((p, j) => add(get(p, 'backend'), ['spec', 'rules', i, 'http', 'paths', j, 'backend'])));
  return out;
}

/** An object of an API group outside Kubernetes' own (a HelmRelease, an operator's resource). */
const isCustomResource = (o: Obj): boolean => {
  const group = (str(o.apiVersion) ?? '').split('/');
  return group.length === 2 && (group[0] ?? '').includes('.') && !(group[0] ?? '').endsWith('.k8s.io');
};

/** Whether a missing Service can be told apart from one made elsewhere; see the help. */
function surelyMissing(svc: string, ingress: RenderedDoc, docs: readonly RenderedDoc[], ctx: CheckContext): boolean {
  const here = docs.filter((d) => sameNamespace(d.object, ingress.object));
  if (!here.some((d) => kind(d.object) === 'Service')) return false;
  // Charts and operators name their Services after the release or resource (`<release>-<chart>`, `<cluster>-rw`).
  if (here.some((d) => isCustomResource(d.object) && name(d.object) && svc.startsWith(name(d.object)))) return false;
  // Written in Git, under this name or one a namePrefix / nameSuffix extends, or made by a release of that
  // name (`<release>`, `<release>-<chart>`): another target may render it.
  return !(ctx.repo?.serviceNames && [...ctx.repo.serviceNames].some((n) => svc === n || svc.startsWith(`${n}-`) || svc.endsWith(`-${n}`) || svc.includes(`-${n}-`)));
}

function servesPort(service: Obj, port: PortRef): boolean {
  return arr(get(service, 'spec', 'ports')).some((p) => ('name' in port ? str(get(p, 'name')) === port.name : get(p, 'port') === port.number));
}

export const ingressBackendMissing: ComplianceCheck = {
  id: 'ingress-backend-missing',
  severity: 'error',
  help:
    'Every Service backend of an Ingress (rules[].http.paths[].backend.service, defaultBackend, or the old serviceName/servicePort) ' +
    'must name an existing Service of its namespace, and a port that Service serves (port.name among its ports\' names, ' +
    'port.number among their `port`s); otherwise the controller answers 503 for that path (error). A Service rendered beside the ' +
    'Ingress is always checked, ports included. A Service absent from the rendering is reported missing only when the rendering ' +
    'holds other Services of that namespace, no Service of that name (or one a namePrefix/nameSuffix extends) is written anywhere ' +
    'in the repository (another Flux Kustomization or overlay may apply it), no HelmRelease or Argo CD Application written in the ' +
    'repository names it (`<release>`, `<release>-<chart>`), and the name does not begin with the name of a custom resource of ' +
    'the namespace rendered beside it (operators name their Services after it, as CloudNativePG\'s `<cluster>-rw`). ' +
    'Resource backends are not judged.',
  check(docs, ctx) {
    const out: Violation[] = [];
    const services = docs.filter((d) => kind(d.object) === 'Service');
    for (const doc of docs.filter((d) => kind(d.object) === 'Ingress')) {
      for (const b of backends(doc.object)) {
        const svc = services.find((s) => name(s.object) === b.service && sameNamespace(s.object, doc.object));
        if (!svc) {
          if (surelyMissing(b.service, doc, docs, ctx)) out.push({ doc, path: b.namePath, message: `backend Service ${b.service} does not exist in this rendering nor anywhere in the repository` });
        } else if (b.port && !servesPort(svc.object, b.port)) {
          out.push({ doc, path: b.portPath, message: `backend Service ${b.service} has no port ${portText(b.port)}` });
        }
      }
    }
    return out;
  },
};
