// The host task queue a feature's worktree activities go to: the same for a restarted worker with
// the same state dir on the same host, different for another state dir, set explicitly when the
// host name does not survive a restart.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { ConfigError, loadConfig } from '../worker/config';
import { activityDeps, hostTaskQueueFor } from '../worker/worker';
import path from 'node:path';
import { ImplementorInput, ServiceSpec, type ImplementorReport } from '../core/schemas';
import { IMPLEMENTOR_WORKFLOW } from '../workflows/messages';
import { EXAMPLES, gitCopy } from './helpers/repo';
import { startTestServer } from './helpers/temporal';

describe('host task queue', () => {
  it('is <queue>@<host>-<hash of the resolved state dir>, stable across restarts', () => {
    const q = hostTaskQueueFor('infra-implementor', '/var/lib/infra-implementor');
    assert.match(q, new RegExp(`^infra-implementor@${os.hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-[0-9a-f]{8}$`));
    assert.equal(hostTaskQueueFor('infra-implementor', '/var/lib/infra-implementor/'), q, 'the same folder, spelled differently');
    assert.notEqual(hostTaskQueueFor('infra-implementor', '/var/lib/other'), q, 'another state dir, another queue');
    assert.notEqual(hostTaskQueueFor('other-queue', '/var/lib/infra-implementor'), q.replace(/^infra-implementor/, 'other'));
  });

  it('INFRA_IMPLEMENTOR_HOST_QUEUE overrides it, and a name with spaces is refused naming the variable', () => {
    const config = loadConfig({ INFRA_IMPLEMENTOR_HOST_QUEUE: 'infra-implementor@worker-0', INFRA_IMPLEMENTOR_STATE_DIR: '/tmp/x' });
    assert.equal(activityDeps(config).hostTaskQueue, 'infra-implementor@worker-0');
    assert.equal(activityDeps(loadConfig({})).hostTaskQueue, undefined, 'unset: derived from the state dir by createWorkers');
    assert.throws(() => loadConfig({ INFRA_IMPLEMENTOR_HOST_QUEUE: 'a queue' }), (e) => e instanceof ConfigError && /^INFRA_IMPLEMENTOR_HOST_QUEUE: must be a task queue name without spaces/.test(e.message));
  });
});

describe('a single run is pinned to the worker that opens its workspace', () => {
  it('openWorkspace runs on the shared queue and loads the context there; every later step touching files runs on that worker\'s own queue; the report is the scaffold\'s', async () => {
    const server = await startTestServer();
    try {
      const repo = await gitCopy(EXAMPLES);
      const { workers, taskQueue } = await server.workers();
      const spec = ServiceSpec.parse({ service: 'orders', image: 'ghcr.io/acme/orders:1.0.0', port: 8080 });
      const input = ImplementorInput.parse({ featureDescription: 'Add orders', scope: 'orders service', infraRoot: path.join(repo, 'infra'), spec });
      const { report, events } = await workers.runUntil(async () => {
        const handle = await server.env.client.workflow.start(IMPLEMENTOR_WORKFLOW, { taskQueue, workflowId: `pinned-${Date.now()}`, args: [input] });
        const r = (await handle.result()) as ImplementorReport;
        return { report: r, events: (await handle.fetchHistory()).events ?? [] };
      });
      assert.equal(report.status, 'succeeded', report.summary);
      const scheduled = events.flatMap((e) => {
        const a = e.activityTaskScheduledEventAttributes;
        return a ? [{ type: a.activityType?.name ?? '', queue: a.taskQueue?.name ?? '' }] : [];
      });
      assert.deepEqual(scheduled[0], { type: 'openWorkspace', queue: taskQueue });
      const rest = scheduled.slice(1);
      // The context is loaded by the worker that opened the workspace, in the same step.
      assert.ok(!rest.some((s) => s.type === 'loadContext'), 'no loadContext step after openWorkspace');
      assert.ok(rest.some((s) => s.type === 'applyChangeSet') && rest.some((s) => s.type === 'validateChanges'));
      assert.deepEqual([...new Set(rest.map((s) => s.queue))], [workers.hostTaskQueue], 'every later step on the host queue');
      assert.ok(!rest.some((s) => s.type === 'readScope' || s.type === 'surveyPatterns'), 'the context is loaded in one step');
      const inputs = events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'proposePhase' ? [e.activityTaskScheduledEventAttributes.input?.payloads?.[0]?.data] : []);
      for (const data of inputs) {
        const arg = JSON.parse(Buffer.from(data ?? new Uint8Array()).toString('utf8'));
        assert.match(arg.ctx.ref, /^sha256:[0-9a-f]{64}$/, 'proposals get the context by reference');
        assert.equal(arg.ctx.profile, undefined, 'not the profile itself');
      }
    } finally {
      await server.stop();
    }
  });
});
