import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { execa } from 'execa';
import { ImplementorInput, ServiceSpec } from '../core/schemas';
import { IMPLEMENTOR_WORKFLOW } from '../workflows/messages';
import { startTestServer, type TestServer } from './helpers/temporal';
import { EXAMPLES, gitCopy } from './helpers/repo';

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
    const report = await worker.runUntil(server.env.client.workflow.execute(IMPLEMENTOR_WORKFLOW, { taskQueue, workflowId: `happy-${Date.now()}`, args: [input] }));
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
});
