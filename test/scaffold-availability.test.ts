// The scaffold's production output keeps `check` quiet about availability and TLS: a service with
// several replicas in a production overlay gets a PodDisruptionBudget and spread pods, its Ingress a
// `tls` — the sibling's when the repository has them (renamed), a default marked REVIEW otherwise.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { ServiceSpec } from '../core/schemas';
import { get } from '../core/yaml-docs';
import { validateRepository } from '../validation';
import { EXAMPLES, gitCopy, writeTree } from './helpers/repo';
import { scaffoldRun } from './helpers/scaffold-run';

const ISSUE_25 = new Set([
  'secret-in-env', 'secret-in-configmap', 'missing-pod-disruption-budget', 'single-replica', 'missing-anti-affinity',
  'probe-port-undeclared', 'service-target-port-undeclared', 'ingress-backend-missing', 'ingress-missing-tls',
]);
const SPEC = ServiceSpec.parse({
  service: 'orders', image: 'ghcr.io/acme/orders:1.4.2', port: 8080, environments: ['staging', 'production'],
  replicas: { staging: 1, production: 3 }, config: { LOG_LEVEL: 'info' }, ingress: { host: 'orders.example.com' },
});
const objects = (root: string, file: string) => parseAllDocuments(readFileSync(path.join(root, file), 'utf8')).map((d) => d.toJS() as unknown);

async function scaffold(root: string) {
  const result = await scaffoldRun(root, SPEC);
  const { findings } = await validateRepository({ root });
  const mine = findings.filter((f) => ISSUE_25.has(f.check) && f.resource.endsWith('/orders') && !f.suppressed);
  const assumptions = result.changeSets.flatMap((c) => c.assumptions.map((a) => `${a.file ?? ''}: ${a.text}`)).join('\n');
  return { ...result, mine, assumptions, findings };
}

describe('scaffold: availability and TLS of a production service', () => {
  it('adds a PodDisruptionBudget, a topology spread and Ingress tls by default, each marked REVIEW, and check finds nothing of theirs', async () => {
    const root = await gitCopy(path.join(EXAMPLES, 'infra'));
    const r = await scaffold(root);
    assert.deepEqual(r.mine.map((f) => `${f.check} ${f.resource}`), []);
    assert.ok(r.written.includes('apps/base/orders/pdb.yaml'), r.written.join(', '));
    const [pdb] = objects(root, 'apps/base/orders/pdb.yaml');
    assert.deepEqual(get(pdb, 'spec'), { maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': 'orders' } } });
    assert.match(readFileSync(path.join(root, 'apps/base/orders/kustomization.yaml'), 'utf8'), /- pdb\.yaml/);
    const [dep] = objects(root, 'apps/base/orders/deployment.yaml');
    assert.deepEqual(get(dep, 'spec', 'template', 'spec', 'topologySpreadConstraints', 0, 'labelSelector'), { matchLabels: { 'app.kubernetes.io/name': 'orders' } });
    const [ingress] = objects(root, 'apps/base/orders/ingress.yaml');
    assert.deepEqual(get(ingress, 'spec', 'tls'), [{ hosts: ['orders.example.com'], secretName: 'orders-tls' }]);
    assert.match(r.assumptions, /pdb\.yaml: orders runs several replicas in production/);
    assert.match(r.assumptions, /deployment\.yaml: replicas spread over nodes/);
    assert.match(r.assumptions, /ingress\.yaml: TLS certificate Secret orders-tls/);
    // The example's catalog has its budget and spread in the production overlay: nothing of issue 25's on anything else either.
    assert.deepEqual(r.findings.filter((f) => ISSUE_25.has(f.check) && !f.resource.endsWith('/orders')).map((f) => `${f.check} ${f.resource}`), []);
  });

  it('a spec without replicas follows the production count services there run (catalog: 3), budget and spread included', async () => {
    const root = await gitCopy(path.join(EXAMPLES, 'infra'));
    const result = await scaffoldRun(root, ServiceSpec.parse({ service: 'search', image: 'ghcr.io/acme/search:0.9.1', port: 7000, environments: ['production'] }));
    assert.ok(result.written.includes('apps/base/search/pdb.yaml'), result.written.join(', '));
    const { findings } = await validateRepository({ root });
    assert.deepEqual(findings.filter((f) => ISSUE_25.has(f.check) && f.resource.endsWith('/search')).map((f) => `${f.check} ${f.resource}`), []);
  });

  it('mirrors a sibling\'s PodDisruptionBudget, anti-affinity and TLS issuer, renamed for the new service', async () => {
    const source = mkdtempSync(path.join(os.tmpdir(), 'ii-siblings-'));
    cpSync(path.join(EXAMPLES, 'infra'), source, { recursive: true });
    const catalog = path.join(source, 'apps/base/catalog');
    const deployment = readFileSync(path.join(catalog, 'deployment.yaml'), 'utf8').replace('    spec:\n      securityContext:', [
      '    spec:', '      affinity:', '        podAntiAffinity:', '          requiredDuringSchedulingIgnoredDuringExecution:',
      '            - topologyKey: kubernetes.io/hostname', '              labelSelector:', '                matchLabels:',
      '                  app.kubernetes.io/name: catalog', '      securityContext:',
    ].join('\n'));
    writeTree({
      'deployment.yaml': deployment,
      'pdb.yaml': 'apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: catalog\nspec:\n  minAvailable: 2\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: catalog\n',
      'ingress.yaml': [
        'apiVersion: networking.k8s.io/v1', 'kind: Ingress', 'metadata:', '  name: catalog', '  annotations:',
        '    cert-manager.io/cluster-issuer: letsencrypt', 'spec:', '  ingressClassName: traefik', '  tls:',
        '    - hosts: [catalog.example.com]', '      secretName: catalog-tls', '  rules:', '    - host: catalog.example.com',
        '      http:', '        paths:', '          - path: /', '            pathType: Prefix', '            backend:',
        '              service:', '                name: catalog', '                port:', '                  name: http', '',
      ].join('\n'),
      'kustomization.yaml': readFileSync(path.join(catalog, 'kustomization.yaml'), 'utf8').replace('  - service.yaml', '  - service.yaml\n  - pdb.yaml\n  - ingress.yaml'),
    }, catalog);
    const root = await gitCopy(source);
    const before = (await validateRepository({ root })).findings.filter((f) => ISSUE_25.has(f.check));
    assert.deepEqual(before.map((f) => f.check), [], 'the sibling passes the new checks');
    const r = await scaffold(root);
    assert.deepEqual(r.mine.map((f) => `${f.check} ${f.resource}`), []);
    const [pdb] = objects(root, 'apps/base/orders/pdb.yaml');
    assert.deepEqual(get(pdb, 'spec'), { minAvailable: 2, selector: { matchLabels: { 'app.kubernetes.io/name': 'orders' } } }, 'the sibling\'s budget, renamed');
    const [dep] = objects(root, 'apps/base/orders/deployment.yaml');
    const pod = get(dep, 'spec', 'template', 'spec');
    assert.equal(get(pod, 'topologySpreadConstraints'), undefined, 'the sibling spreads by anti-affinity: no default added');
    assert.deepEqual(get(pod, 'affinity', 'podAntiAffinity', 'requiredDuringSchedulingIgnoredDuringExecution', 0, 'labelSelector'), { matchLabels: { 'app.kubernetes.io/name': 'orders' } });
    const [ingress] = objects(root, 'apps/base/orders/ingress.yaml');
    assert.deepEqual(get(ingress, 'spec', 'tls'), [{ hosts: ['orders.example.com'], secretName: 'orders-tls' }]);
    assert.equal(get(ingress, 'metadata', 'annotations', 'cert-manager.io/cluster-issuer'), 'letsencrypt');
    assert.equal(get(ingress, 'spec', 'ingressClassName'), 'traefik');
    assert.doesNotMatch(r.assumptions, /PodDisruptionBudget \(maxUnavailable: 1\)|spread over nodes|TLS certificate Secret/);
  });
});
