// Real scale-out: three worker processes with state dirs of their own (no shared path besides the
// bare remote), one dev server, six `implement` runs and two two-scope features from the same remote
// started at once. Every run must succeed, push exactly its change, build on every overlay, and keep
// its files on one worker; then the same with the worker holding a workspace SIGKILLed for good.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImplementorClient } from '../client/client';
import { ImplementorInput, type ImplementorReport } from '../core/schemas';
import { answerUpdate, statusQuery } from '../workflows/messages';
import { git } from './helpers/repo';
import { bareRemote, runAll, spawnWorkers, type Outcome, type Remote } from './helpers/scale';
import { startTestServer, type TestServer } from './helpers/temporal';
import { bundleCrashWorkflows, type WorkerProcess } from './helpers/worker-process';

interface Observed extends Outcome {
  histories: Map<string, { type: string; queue: string }[]>;
}

describe('scale-out: runs from a remote spread over worker processes', { concurrency: 1 }, () => {
  let server: TestServer;
  let bundle: string;
  let remote: Remote;
  const workers: WorkerProcess[] = [];

  before(async () => {
    server = await startTestServer();
    bundle = await bundleCrashWorkflows();
    remote = await bareRemote();
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await server?.stop();
  });

  async function spawn(taskQueue: string, holdAt?: string): Promise<WorkerProcess[]> {
    const started = await spawnWorkers(server, bundle, taskQueue, 3, holdAt);
    workers.push(...started);
    return started;
  }

  /** All eight runs at once, and the activities each scheduled (type and queue). */
  async function observe(taskQueue: string, suffix: string, during?: () => Promise<void>): Promise<Observed> {
    const outcome = await runAll(server, taskQueue, remote, suffix, during);
    const histories = new Map<string, { type: string; queue: string }[]>();
    const ids = [...outcome.ids.implement, ...outcome.features.flatMap((f) => f.children.map((c) => c.workflowId)), ...outcome.ids.features];
    for (const id of ids) {
      const events = (await server.env.client.workflow.getHandle(id).fetchHistory()).events ?? [];
      histories.set(id, events.flatMap((e) => {
        const a = e.activityTaskScheduledEventAttributes;
        return a ? [{ type: a.activityType?.name ?? '', queue: a.taskQueue?.name ?? '' }] : [];
      }));
    }
    return { ...outcome, histories };
  }

  /** What a branch changed from main, and whether every overlay on it builds. */
  async function checkBranch(branch: string, expected: string[]): Promise<void> {
    const changed = (await git(remote.dir, 'diff', '--name-only', remote.main, `refs/heads/${branch}`)).split('\n').filter(Boolean).sort();
    assert.deepEqual(changed, expected.map((f) => `infra/${f}`).sort(), `${branch} holds exactly its change`);
    const checkout = path.join(mkdtempSync(path.join(os.tmpdir(), 'ii-check-')), 'c');
    await git(path.dirname(checkout), 'clone', '-q', '-b', branch, remote.dir, checkout);
    for (const overlay of ['infra/apps/staging', 'infra/apps/production']) {
      const built = await execa('kubectl', ['kustomize', path.join(checkout, overlay)], { reject: false });
      assert.equal(built.exitCode, 0, `${branch} ${overlay}: ${built.stderr}`);
    }
  }

  const hostQueues = (steps: { type: string; queue: string }[], taskQueue: string) => [...new Set(steps.filter((s) => s.queue !== taskQueue).map((s) => s.queue))];
  let reference: Observed | undefined;

  it('6 implement and 2 feature runs at once on three workers: all succeed, each branch holds exactly its change and builds, each run\'s files stay on one worker', { timeout: 600_000 }, async (t) => {
    const taskQueue = `scale-${randomUUID()}`;
    const procs = await spawn(taskQueue);
    reference = await observe(taskQueue, 'a');
    t.diagnostic(`8 runs (10 workflows) on 3 worker processes: ${(reference.ms / 1000).toFixed(1)} s`);
    for (const r of reference.implement) {
      assert.equal(r.status, 'succeeded', r.summary);
      assert.equal(r.pushed, true);
      await checkBranch(r.branch as string, [...r.filesCreated, ...r.filesModified]);
    }
    for (const f of reference.features) {
      assert.equal(f.status, 'succeeded', f.summary);
      await checkBranch(f.branch as string, f.children.flatMap((c) => [...c.filesCreated, ...c.filesModified]).filter((x, i, all) => all.indexOf(x) === i));
    }
    const used = new Set<string>();
    for (const [id, steps] of reference.histories) {
      assert.equal(steps[0]?.type, 'openWorkspace', `${id} opens its workspace first`);
      assert.equal(steps[0]?.queue, taskQueue, `${id}: on the shared queue`);
      const hosts = hostQueues(steps, taskQueue);
      assert.equal(hosts.length, 1, `${id}: every later file step on one worker's queue (${hosts.join(', ')})`);
      used.add(hosts[0] as string);
    }
    t.diagnostic(`workspaces spread over ${used.size} of 3 workers`);
    await Promise.all(procs.map((p) => p.kill()));
  });

  it('the worker holding workspaces is SIGKILLed for good mid-run: every run finishes on the others with the same pushed trees', { timeout: 900_000 }, async (t) => {
    const taskQueue = `scale-kill-${randomUUID()}`;
    // The first worker stops dead as its first proposal starts: runs whose workspace it holds are stuck there.
    const [doomed] = await spawn(taskQueue, 'start:proposePhase');
    let killedAt = 0;
    const outcome = await observe(taskQueue, 'b', async () => {
      await doomed?.waitFor('hold start:proposePhase', 120_000);
      await doomed?.kill();
      killedAt = performance.now();
    });
    t.diagnostic(`all runs done ${((performance.now() - killedAt) / 1000).toFixed(1)} s after the kill (host timeout 60s, the production default)`);
    const ref = reference as Observed;
    for (const [i, r] of outcome.implement.entries()) {
      assert.equal(r.status, 'succeeded', r.summary);
      const tree = await git(remote.dir, 'rev-parse', `refs/heads/${r.branch}^{tree}`);
      assert.equal(tree, await git(remote.dir, 'rev-parse', `refs/heads/${ref.implement[i]?.branch}^{tree}`), `${r.branch}: the same tree as the undisturbed run`);
    }
    for (const [i, f] of outcome.features.entries()) {
      assert.equal(f.status, 'succeeded', f.summary);
      const tree = await git(remote.dir, 'rev-parse', `refs/heads/${f.branch}^{tree}`);
      assert.equal(tree, await git(remote.dir, 'rev-parse', `refs/heads/${ref.features[i]?.branch}^{tree}`), `${f.branch}: the same tree as the undisturbed run`);
    }
    const moved = [...outcome.histories].filter(([, steps]) => hostQueues(steps, taskQueue).length > 1).map(([id]) => id);
    assert.ok(moved.length >= 1, 'at least one run moved to another worker');
    t.diagnostic(`${moved.length} run(s) rebuilt their workspace on another worker`);
  });

  it('a run waiting for a human loses its worker for good: the question, the answer and the deadline survive; after the answer the workspace is rebuilt on another worker and the run pushes', { timeout: 600_000 }, async () => {
    const taskQueue = `scale-human-${randomUUID()}`;
    // One worker holds the run; once it has asked, that worker goes for good and a new one, with a
    // state dir of its own, takes over.
    const [first] = await spawnWorkers(server, bundle, taskQueue, 1);
    const client = new ImplementorClient(server.env.client, taskQueue);
    const id = await client.startImplementor(ImplementorInput.parse({
      // The crash tests' `fixable` implementer (worker-main.ts) breaks the config phase once: a spec with config.
      featureDescription: 'Add orders', scope: 'orders service', implementer: 'fixable',
      spec: { service: 'orders', image: 'ghcr.io/acme/orders:1.0.0', port: 8080, config: { LOG_LEVEL: 'info' } },
      options: { maxAttempts: 1, humanDeadline: '1h' },
      repo: { url: remote.url, subdir: 'infra', branch: 'infra/orders-human' },
    }), `scale-human-${randomUUID().slice(0, 6)}`);
    const handle = server.env.client.workflow.getHandle(id);
    let status = await handle.query(statusQuery);
    for (let i = 0; i < 1200 && !status.pending; i++) { await sleep(100); status = await handle.query(statusQuery); }
    const question = status.pending;
    assert.equal(question?.id, 'q1', 'the run asks');
    await first?.kill();
    workers.push(...await spawnWorkers(server, bundle, taskQueue, 1));
    const after = await handle.query(statusQuery);
    assert.deepEqual([after.pending?.id, after.pending?.deadline], [question?.id, question?.deadline], 'the question and its deadline survive the worker');
    await handle.executeUpdate(answerUpdate, { args: [{ action: 'retry', question: 'q1', guidance: 'write the config map the scaffold writes' }] });
    const report = await handle.result() as ImplementorReport;
    assert.equal(report.status, 'succeeded', report.summary);
    assert.equal(report.pushed, true);
    assert.equal(report.audit[0]?.answer?.guidance, 'write the config map the scaffold writes');
    assert.equal(await git(remote.dir, 'rev-parse', 'refs/heads/infra/orders-human'), report.commit);
    const queues = ((await handle.fetchHistory()).events ?? []).flatMap((e) => e.activityTaskScheduledEventAttributes?.taskQueue?.name ?? []);
    assert.ok(new Set(queues.filter((q) => q !== taskQueue)).size >= 2, 'the run moved to the new worker\'s queue');
  });
});
