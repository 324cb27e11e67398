// Crash anywhere, lose nothing — the parent: a feature of three scopes whose worker (a child
// process, the production pair of shared and host queue) is SIGKILLed inside a child's implement
// phase, in the merge, in the whole-tree validation and in the commit; after each kill a new worker
// with the same state dir polls the same host queue, finds the worktrees and finishes the run.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ImplementorClient } from '../client/client';
import { featureInput } from '../client/inputs';
import type { FeatureReport } from '../core/feature';
import { EXAMPLES, branches, checkout, git, gitCopy, specFile } from './helpers/repo';
import { startTestServer, type TestServer } from './helpers/temporal';
import { bundleCrashWorkflows, startWorkerProcess, type WorkerProcess } from './helpers/worker-process';

const spec = (infraRoot: string) => ({
  feature: 'Add orders, payments and inventory',
  infraRoot,
  scopes: [
    { scope: 'orders service', files: ['apps/staging/kustomization.yaml'], spec: { service: 'orders', image: 'ghcr.io/acme/orders:1.0.0', port: 8080 } },
    { scope: 'payments service', spec: { service: 'payments', image: 'ghcr.io/acme/payments:1.0.0', port: 9090, secrets: ['DATABASE_URL'], sensitive: true } },
    { scope: 'inventory service', spec: { service: 'inventory', image: 'ghcr.io/acme/inventory:1.0.0', port: 7070, config: { LOG_LEVEL: 'info' } } },
  ],
});

/**
 * Where the worker dies, in the order the run reaches them (worker-main.ts hold points): a child's
 * first change set written but unreported (base phase), a scope committed on its branch but
 * unreported (while other children may still run), the scope branches merged but unreported, the
 * whole-tree validation under way, the feature branch made but its commit unreported.
 */
const KILLS = ['end:applyChangeSet', 'end:commitScope', 'end:mergeScopes', 'start:validateTree', 'end:commitFeature'];

interface Outcome {
  repo: string;
  stateDir: string;
  report: FeatureReport;
  checkoutBefore: Awaited<ReturnType<typeof checkout>>;
  events: string[];
}

describe('crash anywhere, lose nothing: a three-scope feature with SIGKILLed workers', () => {
  let server: TestServer;
  let bundle: string;
  let reference: Outcome;
  let crashed: Outcome;

  async function run(kills: string[]): Promise<Outcome> {
    const repo = await gitCopy(EXAMPLES);
    const input = featureInput({ spec: specFile(spec(path.join(repo, 'infra'))) });
    const checkoutBefore = await checkout(repo);
    const events: string[] = [];
    const common = {
      address: server.env.connection.options.address as string,
      taskQueue: `crash-feature-${randomUUID()}`,
      // The same state dir for every worker of the run: the worktrees live there, and the host queue derives from it.
      stateDir: mkdtempSync(path.join(os.tmpdir(), 'ii-state-')),
      bundle,
      events,
    };
    const spawnHolding = (point?: string) => startWorkerProcess({ ...common, ...(point ? { holdAt: point } : {}) });
    let worker: WorkerProcess = await spawnHolding(kills[0]);
    try {
      const id = await new ImplementorClient(server.env.client, common.taskQueue).startFeature(input, `crash-feature-${randomUUID()}`);
      for (const [i, point] of kills.entries()) {
        await worker.waitFor(`hold ${point}`, 120_000);
        await worker.kill();
        events.push(`killed at ${point}`);
        worker = await spawnHolding(kills[i + 1]);
      }
      const report: FeatureReport = await server.env.client.workflow.getHandle(id).result();
      return { repo, stateDir: common.stateDir, report, checkoutBefore, events };
    } finally {
      await worker.kill();
    }
  }

  // A bounded wait: a run whose work is stranded on a queue nobody polls must fail here, not hang.
  before(async () => {
    server = await startTestServer();
    bundle = await bundleCrashWorkflows();
    [reference, crashed] = await Promise.all([run([]), run(KILLS)]);
  }, { timeout: 170_000 });
  after(async () => { await server?.stop(); });

  it('the undisturbed run commits all three scopes on the feature branch', () => {
    assert.equal(reference.report.status, 'succeeded', reference.report.summary);
    assert.deepEqual(reference.report.children.map((c) => [c.scope, c.status, c.merged]), [
      ['orders service', 'succeeded', true], ['payments service', 'succeeded', true], ['inventory service', 'succeeded', true],
    ]);
  });

  it('killed in a child\'s implement phase, the merge, the validation and the commit, the run ends with the undisturbed report', () => {
    const trace = `\nevents:\n${crashed.events.join('\n')}`;
    for (const point of KILLS) {
      const type = point.split(':')[1] as string;
      assert.ok(crashed.events.includes(`killed at ${point}`), `killed at ${point}${trace}`);
      assert.ok(crashed.events.some((e) => e.startsWith(`start ${type}#`) && e.split(' ')[2] === '2'), `a new worker retried ${type}${trace}`);
    }
    assert.deepEqual(comparable(crashed), comparable(reference), `the report equals the undisturbed run's${trace}`);
  });

  it('the feature branch holds the same tree as the undisturbed run\'s, in one commit on the user\'s HEAD', async () => {
    const branch = crashed.report.branch as string;
    assert.equal(branch, reference.report.branch);
    assert.equal(await git(crashed.repo, 'ls-tree', '-r', branch), await git(reference.repo, 'ls-tree', '-r', branch), 'same paths, modes and blobs');
    assert.equal(await git(crashed.repo, 'rev-list', '--count', `main..${branch}`), '1', 'the retried commit made no second commit');
    assert.equal(await git(crashed.repo, 'rev-parse', `${branch}^`), crashed.checkoutBefore.head);
  });

  it('the user\'s checkout is unchanged and no worktree or branch is left beyond the feature branch', async () => {
    for (const o of [reference, crashed]) {
      assert.deepEqual(await checkout(o.repo), o.checkoutBefore);
      assert.deepEqual(await branches(o.repo), [o.report.branch as string, 'main'].sort());
      assert.deepEqual(readdirSync(path.join(o.stateDir, 'worktrees')), []);
    }
  });
});

/** The report with what differs between two runs set aside: ids (and the branch keys derived from them), commits, paths. */
function comparable(o: Outcome): unknown {
  const { workflowId, commit } = o.report;
  let text = JSON.stringify({ ...o.report, commit: commit ? '<commit>' : null, base: '<base>' })
    .replaceAll(workflowId, '<id>').replaceAll(o.repo, '<repo>').replaceAll(o.stateDir, '<state>')
    .replace(/infra-implementor\/[0-9a-f]{12}\//g, 'infra-implementor/<key>/');
  if (commit) text = text.replaceAll(commit.slice(0, 12), '<commit>');
  return JSON.parse(text);
}
