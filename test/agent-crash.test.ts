// An agent's run survives its worker: the worker process is SIGKILLed between turns, after a turn's
// reply arrived but before it was reported, while a batch's Write is on disk, and after an Edit was
// applied; a new worker with the same state dir takes over each time (production worker options).
// The run ends as an undisturbed one does, and no paid turn is asked twice — not even the one whose
// reply was in flight when the worker died, since its reply was kept on the worker's disk.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { ImplementorInput, type ImplementorReport } from '../core/schemas';
import { IMPLEMENTOR_WORKFLOW } from '../workflows/messages';
import { agentInput, agentRepo, explorationScript } from './helpers/agent-script';
import { comparable, contents, type Implementor } from './helpers/crash-run';
import { startFakeAnthropic } from './helpers/fake-anthropic';
import { git, snapshot } from './helpers/repo';
import { bareRemote } from './helpers/scale';
import { startTestServer, type TestServer } from './helpers/temporal';
import { bundleCrashWorkflows, startWorkerProcess, type WorkerProcess } from './helpers/worker-process';

interface Outcome {
  repo: string;
  report: ImplementorReport;
  tree: Record<string, string>;
  events: string[];
  requests: number;
  served: { input_tokens: number; output_tokens: number; cache_read_input_tokens: number; cache_creation_input_tokens: number }[];
}

describe('an agent\'s run survives SIGKILLed workers', () => {
  let server: TestServer;
  let bundle: string;
  before(async () => {
    server = await startTestServer();
    bundle = await bundleCrashWorkflows();
  });
  after(async () => { await server?.stop(); });

  async function run(kills: string[]): Promise<Outcome> {
    const fake = await startFakeAnthropic();
    fake.enqueue(...explorationScript());
    const { repo, infraRoot } = await agentRepo();
    const events: string[] = [];
    const common = {
      address: server.env.connection.options.address as string, taskQueue: `agent-crash-${randomUUID()}`,
      stateDir: mkdtempSync(path.join(os.tmpdir(), 'ii-state-')), bundle, watchRoot: infraRoot, events, anthropicBaseUrl: fake.url,
    };
    const spawn = (point?: string) => startWorkerProcess({ ...common, ...(point ? { holdAt: point } : {}) });
    let worker: WorkerProcess = await spawn(kills[0]);
    try {
      const handle: WorkflowHandle<Implementor> = await server.env.client.workflow.start(IMPLEMENTOR_WORKFLOW, {
        taskQueue: common.taskQueue, workflowId: `agent-crash-${randomUUID()}`, args: [agentInput(infraRoot)],
      });
      for (const [i, point] of kills.entries()) {
        await worker.waitFor(`hold ${point}`, 120_000);
        await worker.kill();
        events.push(`killed at ${point}`);
        worker = await spawn(kills[i + 1]);
      }
      const report = await handle.result();
      const served = fake.messageRequests().flatMap((r) => (r.usage ? [r.usage] : []));
      return { repo, report, tree: snapshot(repo), events, requests: fake.messageRequests().length, served };
    } finally {
      await worker.kill();
      await fake.close();
    }
  }

  it('killed between turns, with a reply in flight, mid-batch after a Write and after an Edit: the same end, no turn paid twice', { timeout: 300_000 }, async () => {
    const reference = await run([]);
    assert.equal(reference.report.status, 'succeeded', reference.report.summary);
    assert.equal(reference.requests, 9);
    // Activity ids of the reference's order: 1 opens the workspace and loads the context, then 2, 4, 6, … are turns and 3, 5, 7, … their tool batches (see the recorded history).
    const kills = ['end:agentTurn#6', 'start:agentTools#9', 'write:agentTools#13:apps/production/replicas.yaml', 'end:agentTools#15'];
    const crashed = await run(kills);
    const trace = `\nkills: ${kills.join(', ')}\nevents:\n${crashed.events.join('\n')}`;
    assert.equal(crashed.requests, reference.requests, `no paid turn was asked again${trace}`);
    assert.deepEqual(comparable(crashed.report, crashed.repo), comparable(reference.report, reference.repo), `the report equals the undisturbed run's${trace}`);
    assert.deepEqual(crashed.tree, reference.tree, 'the tree equals the undisturbed run\'s byte for byte');
    assert.deepEqual(contents(crashed.events), contents(reference.events), `each file went through the same contents${trace}`);
    const sum = (k: keyof Outcome['served'][number]) => crashed.served.reduce((n, u) => n + u[k], 0);
    assert.deepEqual(
      [crashed.report.llmUsage.calls, crashed.report.llmUsage.inputTokens, crashed.report.llmUsage.outputTokens, crashed.report.llmUsage.cacheReadTokens, crashed.report.llmUsage.cacheWriteTokens],
      [crashed.served.length, sum('input_tokens'), sum('output_tokens'), sum('cache_read_input_tokens'), sum('cache_creation_input_tokens')],
      'the report counts every reply served, once',
    );
  });

  it('a worker holding an agent\'s workspace lost for good: the run fails saying why, instead of going on without its work; nothing is pushed', { timeout: 300_000 }, async () => {
    const remote = await bareRemote();
    const fake = await startFakeAnthropic();
    fake.enqueue(...explorationScript());
    const taskQueue = `agent-lost-${randomUUID()}`;
    const common = { address: server.env.connection.options.address as string, taskQueue, bundle, anthropicBaseUrl: fake.url };
    // Activity 1 opens the workspace and loads the context, then turns and tool batches alternate.
    const holder = await startWorkerProcess({ ...common, stateDir: mkdtempSync(path.join(os.tmpdir(), 'ii-holder-')), holdAt: 'start:agentTools#5' });
    let other: WorkerProcess | undefined;
    try {
      const input = ImplementorInput.parse({
        featureDescription: 'Production must run 3 replicas of catalog', scope: 'catalog replicas', implementer: 'anthropic',
        repo: { url: remote.url, branch: 'infra/agent-lost' }, options: { hostTimeout: '5s' },
      });
      const handle: WorkflowHandle<Implementor> = await server.env.client.workflow.start(IMPLEMENTOR_WORKFLOW, { taskQueue, workflowId: `agent-lost-${randomUUID()}`, args: [input] });
      await holder.waitFor('hold start:agentTools#5', 120_000);
      await holder.kill();
      other = await startWorkerProcess({ ...common, stateDir: mkdtempSync(path.join(os.tmpdir(), 'ii-other-')) });
      const report = await handle.result();
      assert.equal(report.status, 'failed');
      assert.match(report.summary, /the worker holding the run's workspace is gone for good, and the agent's conversation and the files it wrote lived only there: start the run again/);
      assert.equal(await git(remote.dir, 'branch', '--list', 'infra/agent-lost'), '', 'nothing was pushed');
    } finally {
      await holder.kill();
      await other?.kill();
      await fake.close();
    }
  });
});
