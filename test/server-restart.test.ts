// Server restart: the dev server keeps its state in a SQLite file; stopped while an activity is in
// flight and again while the run waits for a human, then started on the same file and port, it
// resumes the run, which ends with the report and tree of an undisturbed run.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { answerUpdate, IMPLEMENTOR_WORKFLOW, statusQuery } from '../workflows/messages';
import { startDevServer } from '../worker/temporal-server';
import { installRuntime } from '../worker/runtime';
import { comparable, contents, scenarioAnswer, scenarioInput, waitForQuestion, type Implementor } from './helpers/crash-run';
import { EXAMPLES, gitCopy, snapshot } from './helpers/repo';
import { bundleCrashWorkflows, startWorkerProcess, type WorkerProcess } from './helpers/worker-process';

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

describe('server restart', () => {
  installRuntime('WARN');
  let env: TestWorkflowEnvironment | undefined;
  const workers: WorkerProcess[] = [];
  after(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await env?.teardown();
  });

  it('a run survives two restarts of a dev server with a database file: mid-activity and while awaiting a human', { timeout: 240_000 }, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ii-server-'));
    const dbFilename = path.join(dir, 'temporal.db');
    const port = await freePort();
    const bundle = await bundleCrashWorkflows();
    const answer = scenarioAnswer('human');
    assert.ok(answer);

    const newRun = async (name: string) => {
      const repo = await gitCopy(EXAMPLES);
      const infraRoot = path.join(repo, 'infra');
      const events: string[] = [];
      const common = { taskQueue: `restart-${randomUUID()}`, stateDir: mkdtempSync(path.join(os.tmpdir(), 'ii-state-')), bundle, watchRoot: infraRoot, events };
      const startWorker = async (holdAt?: string) => {
        const w = await startWorkerProcess({ ...common, address: env?.connection.options.address as string, ...(holdAt ? { holdAt } : {}) });
        workers.push(w);
        return w;
      };
      const start = (): Promise<WorkflowHandle<Implementor>> => (env as TestWorkflowEnvironment).client.workflow.start(IMPLEMENTOR_WORKFLOW, {
        taskQueue: common.taskQueue, workflowId: `${name}-${randomUUID()}`, args: [scenarioInput('human', infraRoot)],
      });
      return { repo, events, startWorker, start };
    };
    const restartServer = async () => {
      await env?.teardown();
      env = await startDevServer({ port, dbFilename });
      assert.equal(env.connection.options.address, `127.0.0.1:${port}`, 'the same address as before');
    };

    env = await startDevServer({ port, dbFilename });

    // The undisturbed run of the same scenario, for comparison.
    const ref = await newRun('restart-reference');
    const refWorker = await ref.startWorker();
    const refHandle = await ref.start();
    await waitForQuestion(refHandle);
    await refHandle.executeUpdate(answerUpdate, { args: [answer] });
    const refReport = await refHandle.result();
    await refWorker.kill();
    assert.equal(refReport.status, 'succeeded', refReport.summary);

    const run = await newRun('restart');
    // 1. The server stops while the first change set is written but not yet reported.
    let worker = await run.startWorker('end:applyChangeSet');
    const workflowId = (await run.start()).workflowId;
    await worker.waitFor('hold end:applyChangeSet');
    await restartServer();
    assert.ok(existsSync(dbFilename), 'the server keeps its state in the database file');
    await worker.kill(); // its activity is lost with it; the restarted server retries it elsewhere
    worker = await run.startWorker();
    let handle: WorkflowHandle<Implementor> = env.client.workflow.getHandle(workflowId);
    assert.equal((await handle.describe()).status.name, 'RUNNING', 'the restarted server still knows the run');

    // 2. The server stops while the run waits for a human.
    await waitForQuestion(handle);
    await restartServer();
    await worker.kill();
    worker = await run.startWorker();
    handle = env.client.workflow.getHandle(workflowId);
    const status = await handle.query(statusQuery);
    assert.equal(status.phase, 'awaiting-human', 'the question survived the restart');
    assert.ok(status.pending?.failures.length, 'with the failures that prompted it');
    await handle.executeUpdate(answerUpdate, { args: [answer] });
    const report = await handle.result();
    await worker.kill();

    const trace = `\nevents:\n${run.events.join('\n')}`;
    assert.deepEqual(comparable(report, run.repo), comparable(refReport, ref.repo), `the report equals the undisturbed run's${trace}`);
    assert.deepEqual(snapshot(run.repo), snapshot(ref.repo), `the tree equals the undisturbed run's byte for byte${trace}`);
    assert.deepEqual(contents(run.events), contents(ref.events), `each file went through the same contents${trace}`);
    const applies = run.events.filter((e) => /^start applyChangeSet#\S+ \d+ 1-base$/.test(e));
    assert.equal(applies.length, 2, `the change set in flight at the first stop ran again, once${trace}`);
  });
});
