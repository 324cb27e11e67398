import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { execa } from 'execa';
import { ImplementorInput, ServiceSpec } from '../core/schemas';
import { IMPLEMENTOR_WORKFLOW } from '../workflows/messages';
import { startTestServer, type TestServer } from './helpers/temporal';
import { recordHistory } from './helpers/histories';
import { EXAMPLES, PROJECT_ROOT, gitCopy } from './helpers/repo';

const orders = ServiceSpec.parse(parse(readFileSync(path.join(EXAMPLES, 'orders.spec.yaml'), 'utf8')));

describe('infrastructureImplementor on a real Temporal server', () => {
  let server: TestServer;
  before(async () => { server = await startTestServer(); });
  after(async () => { await server?.stop(); });

  it('implements a service in examples/: the files it reports exist and every overlay builds', async () => {
    const repo = await gitCopy(EXAMPLES);
    const infraRoot = path.join(repo, 'infra');
    const { worker, taskQueue } = await server.worker();
    const input = ImplementorInput.parse({ featureDescription: 'Add orders', scope: 'orders service', infraRoot, reposRoot: repo, spec: orders });
    const report = await worker.runUntil(async () => {
      const handle = await server.env.client.workflow.start(IMPLEMENTOR_WORKFLOW, { taskQueue, workflowId: `happy-${Date.now()}`, args: [input] });
      const r = await handle.result();
      await recordHistory(handle, 'implementor-happy');
      return r;
    });
    assert.equal(report.status, 'succeeded', report.summary);
    assert.ok(report.filesCreated.includes('apps/base/orders/deployment.yaml'));
    assert.deepEqual(report.filesModified, ['apps/production/kustomization.yaml', 'apps/staging/kustomization.yaml']);
    for (const f of [...report.filesCreated, ...report.filesModified]) assert.ok(existsSync(path.join(infraRoot, f)), f);
    for (const overlay of ['apps/staging', 'apps/production']) {
      const built = await execa('kubectl', ['kustomize', path.join(infraRoot, overlay)]);
      assert.match(String(built.stdout), /name: orders/);
      const v = report.validations.find((x: { validator: string; target: string }) => x.validator === 'kustomize' && x.target === overlay);
      assert.equal(v?.status, 'pass');
    }
  });

  it('mirrors a per-service layout with `app` labels, name-kind file names and a Flux Kustomization per environment', async () => {
    const repo = await gitCopy(path.join(PROJECT_ROOT, 'test/fixtures/repos/per-service'));
    const { worker, taskQueue } = await server.worker();
    const spec = ServiceSpec.parse({ service: 'orders', image: 'registry.example.com/orders:v1.0.0', port: 8080, replicas: { prod: 3 } });
    const input = ImplementorInput.parse({ featureDescription: 'Add orders', scope: 'orders service', infraRoot: repo, spec });
    const report = await worker.runUntil(server.env.client.workflow.execute(IMPLEMENTOR_WORKFLOW, { taskQueue, workflowId: `mirror-${Date.now()}`, args: [input] }));
    assert.equal(report.status, 'succeeded', report.summary);
    assert.deepEqual(report.filesCreated, [
      'clusters/dev/orders.yaml',
      'clusters/prod/orders.yaml',
      'services/orders/base/kustomization.yaml',
      'services/orders/base/orders-deployment.yaml',
      'services/orders/base/orders-pdb.yaml',
      'services/orders/base/orders-service.yaml',
      'services/orders/overlays/dev/kustomization.yaml',
      'services/orders/overlays/prod/kustomization.yaml',
    ]);
    assert.deepEqual(report.filesModified, []);
    const deployment = parse(readFileSync(path.join(repo, 'services/orders/base/orders-deployment.yaml'), 'utf8'));
    assert.deepEqual(deployment.spec.template.metadata.labels, { app: 'orders', version: 'v1.0.0', component: 'api' });
    const container = deployment.spec.template.spec.containers[0];
    assert.deepEqual(container.resources, { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } }, 'limits of billing');
    assert.equal(container.livenessProbe.httpGet.path, '/health/live');
    assert.equal(container.env, undefined, "billing's own env is not copied");
    const flux = parse(readFileSync(path.join(repo, 'clusters/prod/orders.yaml'), 'utf8'));
    assert.equal(flux.spec.path, './services/orders/overlays/prod');
    const prod = await execa('kubectl', ['kustomize', path.join(repo, 'services/orders/overlays/prod')]);
    const rendered = String(prod.stdout);
    assert.match(rendered, /namespace: orders-prod/);
    assert.match(rendered, /replicas: 3/);
    assert.match(rendered, /team: payments/, 'commonLabels of the base kept');
  });

  it('the examples/ style: app.kubernetes.io labels, shared overlays edited with their comments kept', async () => {
    const repo = await gitCopy(EXAMPLES);
    const infraRoot = path.join(repo, 'infra');
    const { worker, taskQueue } = await server.worker();
    const spec = ServiceSpec.parse({ service: 'search', image: 'ghcr.io/acme/search:0.9.1', port: 7000, environments: ['production'] });
    const input = ImplementorInput.parse({ featureDescription: 'Add search', scope: 'search', infraRoot, spec });
    const report = await worker.runUntil(server.env.client.workflow.execute(IMPLEMENTOR_WORKFLOW, { taskQueue, workflowId: `mirror2-${Date.now()}`, args: [input] }));
    assert.equal(report.status, 'succeeded', report.summary);
    assert.deepEqual(report.filesModified, ['apps/production/kustomization.yaml'], 'staging left alone');
    const prod = readFileSync(path.join(infraRoot, 'apps/production/kustomization.yaml'), 'utf8');
    assert.match(prod, /# Production: more replicas, same manifests\./, 'comment kept');
    assert.match(prod, /- \.\.\/base\/catalog\n  - \.\.\/base\/search\n/, 'listed right after the exemplar');
    const d = parse(readFileSync(path.join(infraRoot, 'apps/base/search/deployment.yaml'), 'utf8'));
    assert.equal(d.metadata.labels['app.kubernetes.io/name'], 'search');
    assert.equal(d.metadata.labels['app.kubernetes.io/version'], '0.9.1');
    assert.equal(d.metadata.labels['app.kubernetes.io/part-of'], 'shop');
    assert.match(readFileSync(path.join(infraRoot, 'apps/base/search/deployment.yaml'), 'utf8'), /^# REVIEW: /m);
    assert.ok(report.assumptions.some((a: { text: string }) => /already sync/.test(a.text)), 'says why no Flux object was added');
  });
});
