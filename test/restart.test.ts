// A worker hands its runs over promptly (worker/restart.ts). Restarted with its predecessor's state
// dir, it takes up the activity the predecessor died in: the attempt is failed as `WorkerRestarted`
// and retried, never waiting for the heartbeat timeout; an activity of a process that is still
// alive is left alone. Told to stop, it lets the activity it runs end, and the run's next workflow
// task does not wait on the stopping worker's sticky queue; an activity the stop cancels is retried
// as `WorkerStopped`. With nothing to take over, the worker that takes the retry after the heartbeat
// timeout keeps the run's next workflow task off the dead worker's sticky queue.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IMPLEMENTOR_WORKFLOW } from '../workflows/messages';
import { handOver, WORKER_RESTARTED, WORKER_STOPPED } from '../worker/restart';
import { scenarioInput } from './helpers/crash-run';
import { EXAMPLES, gitCopy } from './helpers/repo';
import { startTestServer, type TestServer } from './helpers/temporal';
import { bundleCrashWorkflows, startWorkerProcess, type WorkerProcess, type WorkerProcessOptions } from './helpers/worker-process';

describe('a restarted worker takes over what its predecessor was running', () => {
  let server: TestServer;
  let bundle: string;
  before(async () => {
    server = await startTestServer();
    bundle = await bundleCrashWorkflows();
  });
  after(async () => { await server?.stop(); });

  /**
   * A scaffold run on a worker of its own state dir, held as its first proposePhase starts (a step on
   * the host queue every scaffold run takes). The caller kills the worker it then holds.
   */
  async function heldRun(hold: Partial<WorkerProcessOptions> = {}) {
    const repo = await gitCopy(EXAMPLES);
    const events: string[] = [];
    const common = {
      address: server.env.connection.options.address as string, taskQueue: `restart-${randomUUID()}`,
      stateDir: mkdtempSync(path.join(os.tmpdir(), 'ii-state-')), bundle, events,
    };
    const worker = await startWorkerProcess({ ...common, holdAt: 'start:proposePhase', ...hold });
    try {
      const handle = await server.env.client.workflow.start(IMPLEMENTOR_WORKFLOW, {
        taskQueue: common.taskQueue, workflowId: `restart-${randomUUID()}`, args: [scenarioInput('scaffold', path.join(repo, 'infra'))],
      });
      await worker.waitFor('hold start:proposePhase');
      return { common, events, worker, handle };
    } catch (err) {
      await worker.kill();
      throw err;
    }
  }

  it('leaves a live worker\'s activity alone, fails a dead one\'s for a retry, and the run completes', async () => {
    const run = await heldRun();
    const { common, events, handle } = run;
    const { stateDir } = common;
    let worker: WorkerProcess = run.worker;
    try {
      const held = events.findLast((e) => e.startsWith('start proposePhase#'))?.split(' ')[1] as string;
      const activityId = held.split('#')[1] as string;
      const records = path.join(stateDir, 'in-flight');
      assert.equal(readdirSync(records).length, 1, 'the running activity is written down in the state dir');

      const ns = server.env.namespace ?? 'default';
      assert.deepEqual(await handOver(server.env.nativeConnection, ns, stateDir).takeOver(), [], 'the worker is alive: nothing to take over');
      assert.equal(readdirSync(records).length, 1);

      await worker.kill();
      const taken = await handOver(server.env.nativeConnection, ns, stateDir).takeOver();
      assert.deepEqual(taken, [{ workflowId: handle.workflowId, activityId, activityType: 'proposePhase', attempt: 1 }]);
      assert.equal(readdirSync(records).length, 0, 'the record goes once taken over');

      worker = await startWorkerProcess(common);
      await worker.waitFor(`start ${held} 2`);
      await handle.result();
      const started = (await handle.fetchHistory()).events?.find((e) =>
        e.activityTaskStartedEventAttributes && e.activityTaskStartedEventAttributes.attempt === 2);
      const lastFailure = started?.activityTaskStartedEventAttributes?.lastFailure;
      assert.equal(lastFailure?.applicationFailureInfo?.type, WORKER_RESTARTED, `the retry follows the take-over, not a heartbeat timeout: ${lastFailure?.message}`);
      assert.ok(existsSync(records) && readdirSync(records).length === 0, 'no record is left once the run is done');
    } finally {
      await worker.kill();
    }
  });

  it('with nothing to take over (a successor elsewhere), the retry after the heartbeat timeout resets the run\'s sticky queue: the next workflow task does not wait on the dead worker', async () => {
    const run = await heldRun();
    const { common, handle } = run;
    let worker: WorkerProcess = run.worker;
    try {
      await worker.kill();
      // What a worker with an empty state dir on the same queues sees: no record of the dead one.
      rmSync(path.join(common.stateDir, 'in-flight'), { recursive: true, force: true });
      worker = await startWorkerProcess(common);
      await handle.result();
      const history = (await handle.fetchHistory()).events ?? [];
      const retried = history.find((e) => e.activityTaskStartedEventAttributes?.attempt === 2);
      assert.ok(retried?.activityTaskStartedEventAttributes?.lastFailure?.timeoutFailureInfo, 'the retry follows the heartbeat timeout');
      const timedOut = history.filter((e) => e.workflowTaskTimedOutEventAttributes);
      assert.deepEqual(timedOut.map((e) => e.workflowTaskTimedOutEventAttributes?.timeoutType), [], 'no workflow task timed out on the dead worker\'s sticky queue');
    } finally {
      await worker.kill();
    }
  });

  it('on SIGTERM, lets the running activity end and sends the run\'s next workflow task to the normal queue', async () => {
    const run = await heldRun({ holdUntil: 'sigterm' });
    const { common, events, handle } = run;
    let worker: WorkerProcess = run.worker;
    try {
      await worker.kill('SIGTERM');
      assert.ok(events.some((e) => e.startsWith('end proposePhase#')), 'the activity ended on the stopping worker');
      worker = await startWorkerProcess(common);
      await handle.result();
      const history = (await handle.fetchHistory()).events ?? [];
      const timedOut = history.filter((e) => e.workflowTaskTimedOutEventAttributes);
      assert.deepEqual(timedOut, [], 'no workflow task timed out on the stopped worker\'s sticky queue');
      assert.ok(!history.some((e) => e.activityTaskStartedEventAttributes && e.activityTaskStartedEventAttributes.attempt !== 1), 'no activity ran twice');
    } finally {
      await worker.kill();
    }
  });

  it('on SIGTERM past the grace time, the cancelled activity fails as WorkerStopped and is retried', async () => {
    const run = await heldRun({ shutdownGraceTime: '0s' });
    const { common, handle } = run;
    let worker: WorkerProcess = run.worker;
    try {
      await worker.kill('SIGTERM');
      worker = await startWorkerProcess(common);
      await handle.result();
      const retried = (await handle.fetchHistory()).events?.find((e) => e.activityTaskStartedEventAttributes?.attempt === 2);
      assert.equal(retried?.activityTaskStartedEventAttributes?.lastFailure?.applicationFailureInfo?.type, WORKER_STOPPED);
    } finally {
      await worker.kill();
    }
  });
});
