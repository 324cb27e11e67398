// An implementation no build could judge is not a success: a worker with neither kubectl nor helm
// (a real worker process, its PATH cut to node and git) scaffolds a service, every kustomize build of
// it is skipped, and the run ends `unvalidated` with the reason — never `succeeded`. The CLI gives that
// status its own exit code.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { execa } from 'execa';
import { reportExitCode } from '../client/cli';
import { ImplementorInput, type ImplementorReport } from '../core/schemas';
import { IMPLEMENTOR_WORKFLOW } from '../workflows/messages';
import { EXAMPLES, gitCopy } from './helpers/repo';
import { startTestServer, type TestServer } from './helpers/temporal';
import { bundleCrashWorkflows, startWorkerProcess } from './helpers/worker-process';

describe('a run no build could judge', () => {
  let server: TestServer;
  let bundle: string;
  before(async () => {
    server = await startTestServer();
    bundle = await bundleCrashWorkflows();
  });
  after(async () => { await server?.stop(); });

  it('ends unvalidated, naming the missing tool; implement --wait exits 3 for it', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'ii-no-tools-'));
    mkdirSync(path.join(home, 'bin'));
    symlinkSync(process.execPath, path.join(home, 'bin', 'node'));
    symlinkSync((await execa('sh', ['-c', 'command -v git'])).stdout.trim(), path.join(home, 'bin', 'git'));
    const repo = await gitCopy(EXAMPLES);
    const taskQueue = `unvalidated-${randomUUID()}`;
    const worker = await startWorkerProcess({
      address: server.env.connection.options.address as string, taskQueue, bundle, stateDir: mkdtempSync(path.join(os.tmpdir(), 'ii-state-')),
      env: { PATH: path.join(home, 'bin'), HOME: home, GOPATH: home },
    });
    try {
      const input = ImplementorInput.parse({
        featureDescription: 'Add the orders service', scope: 'orders service', infraRoot: path.join(repo, 'infra'),
        spec: { service: 'orders', image: 'ghcr.io/acme/orders:1.4.2', port: 8080 },
      });
      const handle = await server.env.client.workflow.start(IMPLEMENTOR_WORKFLOW, { taskQueue, workflowId: `unvalidated-${randomUUID()}`, args: [input] });
      const report = (await handle.result()) as ImplementorReport;
      assert.equal(report.status, 'unvalidated', report.summary);
      assert.match(report.summary, /^Implemented, but nothing could validate it: \d+ check\(s\) skipped, e\.g\. neither kustomize nor kubectl \(with built-in kustomize\) is installed\./);
      assert.ok(report.filesCreated.includes('apps/base/orders/deployment.yaml'), 'the change is there, for people to validate');
      assert.deepEqual(report.validations.filter((v) => v.validator === 'kustomize').map((v) => v.status).filter((s) => s !== 'skipped'), []);
      assert.equal(reportExitCode(report), 3);
      assert.equal(reportExitCode({ ...report, status: 'succeeded' }), 0);
    } finally {
      await worker.kill();
    }
  });
});
