// The feature workflow on a real dev server and real git: scopes in parallel in their own
// worktrees, answers routed through the parent, merge conflicts as questions, cancellation that
// leaves the repository as it was, and the CLI's refusals.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { ImplementorClient } from '../client/client';
import { featureInput } from '../client/inputs';
import type { FeatureInput, FeatureReport } from '../core/feature';
import type { ImplementorReport } from '../core/schemas';
import { AwaitingHumanKey, featureStatusQuery, ImplementorPhaseKey, type FeatureStatus } from '../workflows/messages';
import { recordHistory } from './helpers/histories';
import { scriptedImplementer, write } from './helpers/implementers';
import { EXAMPLES, PROJECT_ROOT, branches, checkout, git, gitCopy, specFile } from './helpers/repo';
import { startTestServer, type TestServer } from './helpers/temporal';
import { until } from './helpers/until';

const BIN = path.join(PROJECT_ROOT, 'bin/infra-implementor.js');
const BROKEN = 'a: [1, 2\n';
const CONFIGMAP = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  a: "1"\n';

const service = (name: string, port: number) => ({ service: name, image: `ghcr.io/acme/${name}:1.0.0`, port });

describe('featureImplementor on a real server and real git', () => {
  let server: TestServer;
  before(async () => { server = await startTestServer(); });
  after(async () => { await server?.stop(); });

  async function setup(spec: (infraRoot: string) => Record<string, unknown>, implementers: Parameters<TestServer['workers']>[0] = {}) {
    const repo = await gitCopy(EXAMPLES);
    const infraRoot = path.join(repo, 'infra');
    const input = featureInput({ spec: specFile(spec(infraRoot)) });
    const { workers, taskQueue, stateDir } = await server.workers(implementers);
    const client = new ImplementorClient(server.env.client, taskQueue);
    const before = await checkout(repo);
    // Recorded runs get their history's name as id: replay derives the child ids from it.
    const start = async (workflowId?: string) => {
      const id = await client.startFeature(input, workflowId);
      return server.env.client.workflow.getHandle(id) as WorkflowHandle<(i: FeatureInput) => Promise<FeatureReport>>;
    };
    return { repo, infraRoot, input, workers, client, stateDir, before, start };
  }

  it('three scopes run in parallel worktrees; the feature branch holds all three, every overlay builds, the checkout is untouched', async () => {
    const t = await setup((infraRoot) => ({
      feature: 'Add orders, payments and inventory',
      infraRoot,
      scopes: [
        { scope: 'orders service', files: ['apps/staging/kustomization.yaml'], spec: { ...service('orders', 8080), replicas: { staging: 1, production: 3 } } },
        { scope: 'payments service', spec: { ...service('payments', 9090), secrets: ['DATABASE_URL'], sensitive: true } },
        { scope: 'inventory service', spec: { ...service('inventory', 7070), config: { LOG_LEVEL: 'info' } } },
      ],
    }));
    const { report, spans, parentSearch } = await t.workers.runUntil(async () => {
      const handle = await t.start('feature-fanout');
      const r = await handle.result();
      await recordHistory(handle, 'feature-fanout');
      const spans = await Promise.all(r.children.map(async (c) => {
        const events = (await server.env.client.workflow.getHandle(c.workflowId).fetchHistory()).events ?? [];
        const desc = await server.env.client.workflow.getHandle(c.workflowId).describe();
        assert.deepEqual(desc.memo, { feature: t.input.feature, scope: c.scope, parentId: handle.workflowId }, 'memo of the child');
        assert.equal(desc.parentExecution?.workflowId, handle.workflowId, 'the child knows its parent');
        assert.equal(desc.typedSearchAttributes.get(ImplementorPhaseKey), 'done');
        return { start: tsToMs(events[0]?.eventTime), end: tsToMs(events.at(-1)?.eventTime) };
      }));
      // Every child's last progress (compliance, then done) reached the parent before the child closed.
      const signaled = ((await handle.fetchHistory()).events ?? []).flatMap((e) => {
        const a = e.workflowExecutionSignaledEventAttributes;
        const data = a?.signalName === 'childProgress' ? a.input?.payloads?.[0]?.data : undefined;
        return data ? [JSON.parse(Buffer.from(data).toString('utf8')) as { workflowId: string; phase: string }] : [];
      });
      // (Signals sent in one workflow task may arrive in either order: the parent keeps the newest by seq.)
      const lastPhases = r.children.map((c) => signaled.filter((p) => p.workflowId === c.workflowId).map((p) => p.phase).slice(-2).sort());
      assert.deepEqual(lastPhases, r.children.map(() => ['compliance', 'done']), 'the last two progress signals of each child are in the parent\'s history');
      return { report: r, spans, parentSearch: (await handle.describe()).typedSearchAttributes };
    });

    assert.equal(report.status, 'succeeded', report.summary);
    assert.equal(report.branch, 'infra/add-orders-payments-and-inventory');
    assert.deepEqual(report.children.map((c) => [c.scope, c.status, c.merged]), [
      ['orders service', 'succeeded', true], ['payments service', 'succeeded', true], ['inventory service', 'succeeded', true],
    ]);
    assert.deepEqual(report.children.map((c) => c.workflowId), ['orders', 'payments', 'inventory'].map((s) => `${report.workflowId}--${s}`), 'ids derived from the parent and the scope');
    assert.ok(Math.max(...spans.map((s) => s.start)) < Math.min(...spans.map((s) => s.end)), `the children's executions overlap: ${JSON.stringify(spans)}`);
    assert.equal(parentSearch.get(ImplementorPhaseKey), 'done');
    assert.equal(parentSearch.get(AwaitingHumanKey), false);

    // One commit on top of the user's HEAD, holding the three services, with a message built from the reports.
    const branch = report.branch as string;
    assert.equal(await git(t.repo, 'rev-list', '--count', `main..${branch}`), '1');
    assert.equal(await git(t.repo, 'rev-parse', `${branch}^`), t.before.head);
    const message = await git(t.repo, 'log', '-1', '--format=%B', branch);
    for (const s of ['orders service', 'payments service', 'inventory service']) assert.match(message, new RegExp(`- ${s} \\(succeeded\\): adds`));
    assert.match(message, /Dependencies:\n- \[image\]/);
    assert.match(message, new RegExp(`Infra-Implementor-Workflow: ${report.workflowId}`));
    const tree = await git(t.repo, 'ls-tree', '-r', '--name-only', branch);
    for (const s of ['orders', 'payments', 'inventory']) assert.match(tree, new RegExp(`^infra/apps/base/${s}/deployment.yaml$`, 'm'));

    // Every overlay on the branch builds, with all three services in it.
    const exported = mkdtempSync(path.join(os.tmpdir(), 'ii-branch-'));
    await execa('sh', ['-c', `git -C "${t.repo}" archive "${branch}" | tar -x -C "${exported}"`]);
    for (const overlay of ['apps/staging', 'apps/production']) {
      const built = String((await execa('kubectl', ['kustomize', path.join(exported, 'infra', overlay)])).stdout);
      for (const s of ['orders', 'payments', 'inventory', 'catalog']) assert.match(built, new RegExp(`name: ${s}$`, 'm'), `${overlay} renders ${s}`);
    }
    assert.ok(report.validations.some((v) => v.validator === 'kustomize' && v.target === 'apps/production' && v.status === 'pass'), 'the merged tree was validated');

    // The user's checkout: byte for byte the same; only the feature branch was added; no worktree is left.
    assert.deepEqual(await checkout(t.repo), t.before);
    assert.deepEqual(await branches(t.repo), [branch, 'main'].sort());
    assert.deepEqual(readdirSync(path.join(t.stateDir, 'worktrees')), []);
  });

  it('one scope escalates while the others finish; the answer given through the parent reaches it', async () => {
    const impl = scriptedImplementer({ phases: { config: write('apps/base/catalog/extra.yaml', BROKEN) }, fixes: [write('apps/base/catalog/extra.yaml', CONFIGMAP)] });
    const t = await setup((infraRoot) => ({
      feature: 'Orders, payments and an extra config',
      infraRoot,
      options: { maxAttempts: 1 },
      scopes: [
        { scope: 'orders service', spec: service('orders', 8080) },
        { scope: 'payments service', spec: service('payments', 9090) },
        { scope: 'extra config', spec: service('extra', 1234) },
      ],
    }), { implementers: { scripted: () => impl } });
    // The CLI only offers the real implementers: the test double is set on the parsed input.
    const extra = t.input.scopes[2] as FeatureInput['scopes'][number];
    extra.implementer = 'scripted';
    delete extra.spec;

    const { report, child } = await t.workers.runUntil(async () => {
      const handle = await t.start();
      const status = await until('the question of "extra config" with the others done', async () => {
        const s: FeatureStatus = await handle.query(featureStatusQuery);
        return s.questions.length && s.children.filter((c) => c.status === 'succeeded').length === 2 ? s : undefined;
      });
      assert.equal(status.questions.length, 1);
      assert.equal(status.questions[0]?.scope, 'extra config');
      assert.match(status.questions[0]?.question ?? '', /Validation still fails after 1 attempt/);
      const waiting = status.children.find((c) => c.scope === 'extra config');
      assert.equal(waiting?.phase, 'awaiting-human');
      assert.equal(waiting?.attempt, 1);
      assert.equal((await handle.describe()).typedSearchAttributes.get(AwaitingHumanKey), true, 'the parent shows a human is awaited');
      await assert.rejects(t.client.answer(handle.workflowId, { action: 'retry', scope: 'orders service' }), /no question pending for scope "orders service"/);
      assert.match(await t.client.answer(handle.workflowId, { action: 'retry', guidance: 'write a ConfigMap named extra', scope: 'extra config' }), /forwarded: retry/);
      const r = await handle.result();
      const child = await server.env.client.workflow.getHandle(`${handle.workflowId}--extra`).result() as ImplementorReport;
      return { report: r, child };
    });
    assert.equal(report.status, 'succeeded', report.summary);
    assert.deepEqual(child.humanAnswers, [{ action: 'retry', guidance: 'write a ConfigMap named extra' }]);
    assert.equal(impl.fixRequests.at(-1)?.guidance, 'write a ConfigMap named extra');
    assert.equal(await git(t.repo, 'show', `${report.branch}:infra/apps/base/catalog/extra.yaml`), CONFIGMAP.trimEnd());
    assert.deepEqual(await checkout(t.repo), t.before);
  });

  it('a real merge conflict becomes a question with the conflicting files; accept keeps the feature side', async () => {
    const deployment = readFileSync(path.join(EXAMPLES, 'infra/apps/base/catalog/deployment.yaml'), 'utf8');
    assert.match(deployment, /replicas: \d+/);
    const withReplicas = (n: number) => deployment.replace(/replicas: \d+/, `replicas: ${n}`);
    const first = scriptedImplementer({ phases: { base: write('apps/base/catalog/deployment.yaml', withReplicas(4), 'base') } });
    const second = scriptedImplementer({ phases: { base: write('apps/base/catalog/deployment.yaml', withReplicas(5), 'base') } });
    const t = await setup((infraRoot) => ({
      feature: 'Scale the catalog',
      infraRoot,
      scopes: [{ scope: 'catalog four', spec: service('four', 80) }, { scope: 'catalog five', spec: service('five', 80) }],
    }), { implementers: { first: () => first, second: () => second } });
    for (const [i, name] of ['first', 'second'].entries()) {
      const s = t.input.scopes[i] as FeatureInput['scopes'][number];
      s.implementer = name;
      delete s.spec;
    }

    const report = await t.workers.runUntil(async () => {
      const handle = await t.start('feature-merge-conflict');
      const status = await until('the merge question', async () => {
        const s: FeatureStatus = await handle.query(featureStatusQuery);
        return s.pending ? s : undefined;
      });
      assert.equal(status.phase, 'awaiting-human');
      assert.equal(status.pending?.scope, 'catalog five');
      assert.deepEqual(status.pending?.conflicts, ['infra/apps/base/catalog/deployment.yaml']);
      assert.match(status.pending?.question ?? '', /Merging "catalog five" into infra\/scale-the-catalog conflicts in infra\/apps\/base\/catalog\/deployment.yaml/);
      assert.equal((await handle.describe()).typedSearchAttributes.get(AwaitingHumanKey), true);
      assert.match(await t.client.answer(handle.workflowId, { action: 'accept', scope: 'catalog five' }), /accepted: accept for catalog five/);
      const r = await handle.result();
      await recordHistory(handle, 'feature-merge-conflict');
      return r;
    });
    assert.equal(report.status, 'accepted', report.summary);
    assert.deepEqual(report.humanAnswers, [{ action: 'accept', scope: 'catalog five' }]);
    assert.ok(report.children.every((c) => c.merged));
    assert.match(await git(t.repo, 'show', `${report.branch}:infra/apps/base/catalog/deployment.yaml`), /replicas: 4/, 'the feature side of the conflict is kept');
    assert.deepEqual(await checkout(t.repo), t.before);
    assert.deepEqual(await branches(t.repo), ['infra/scale-the-catalog', 'main']);
  });

  it('cancelling the feature cancels the children and removes every worktree and branch', async () => {
    const stuck = () => scriptedImplementer({ phases: { config: write('apps/base/catalog/extra.yaml', BROKEN) } });
    const t = await setup((infraRoot) => ({
      feature: 'Never finished',
      infraRoot,
      options: { maxAttempts: 1 },
      scopes: [{ scope: 'one', spec: service('one', 80) }, { scope: 'two', spec: service('two', 80) }],
    }), { implementers: { stuck } });
    for (const s of t.input.scopes) {
      s.implementer = 'stuck';
      delete s.spec;
    }
    const ids = await t.workers.runUntil(async () => {
      const handle = await t.start();
      const status = await until('both children waiting', async () => {
        const s: FeatureStatus = await handle.query(featureStatusQuery);
        return s.questions.length === 2 ? s : undefined;
      });
      assert.equal(readdirSync(path.join(t.stateDir, 'worktrees')).length, 1, 'the worktrees exist while the children run');
      assert.equal((await branches(t.repo)).length, 3, 'main and the two scope branches');
      await assert.rejects(t.client.answer(handle.workflowId, { action: 'abort' }), /2 questions are pending: name one with --scope \(one, two\)/);
      await handle.cancel();
      await assert.rejects(handle.result(), (e) => e instanceof WorkflowFailedError && /cancel/i.test(String(e.cause?.message ?? e.message)));
      return status.children.map((c) => c.workflowId);
    });
    for (const id of ids) assert.equal((await server.env.client.workflow.getHandle(id).describe()).status.name, 'CANCELLED', id);
    assert.deepEqual(readdirSync(path.join(t.stateDir, 'worktrees')), []);
    assert.deepEqual(await branches(t.repo), ['main']);
    assert.deepEqual(await checkout(t.repo), t.before);
  });

  it('the CLI refuses a repeated service, a new file claimed twice and a non-git infra root, with one line and exit 2', async () => {
    const repo = await gitCopy(EXAMPLES);
    const infraRoot = path.join(repo, 'infra');
    const plain = mkdtempSync(path.join(os.tmpdir(), 'ii-plain-'));
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['repeated service', { feature: 'f', infraRoot, scopes: [{ scope: 'a', spec: service('orders', 1) }, { scope: 'b', spec: service('orders', 2) }] },
        /scopes\[1\] repeats service "orders" of scopes\[0\]: one scope per service/],
      ['a new file claimed twice', { feature: 'f', infraRoot, scopes: [{ scope: 'a', files: ['apps/base/new.yaml'], spec: service('a', 1) }, { scope: 'b', files: ['apps/base/new.yaml'], spec: service('b', 2) }] },
        /scopes\[1\] and scopes\[0\] both claim the new file apps\/base\/new.yaml/],
      ['a non-git infra root', { feature: 'f', infraRoot: plain, scopes: [{ scope: 'a', spec: service('a', 1) }] },
        new RegExp(`feature needs a git repository: ${plain.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not one`)],
    ];
    for (const [name, spec, message] of cases) {
      const r = await execa('node', [BIN, 'feature', '--spec', specFile(spec)], { reject: false, env: { TEMPORAL_ADDRESS: '127.0.0.1:1' } });
      assert.equal(r.exitCode, 2, `${name}: exit code (stderr: ${r.stderr})`);
      const lines = String(r.stderr).trim().split('\n');
      assert.equal(lines.length, 1, `${name}: one line, got ${JSON.stringify(r.stderr)}`);
      assert.match(lines[0] ?? '', message, name);
    }
    // A file that already exists may be in several scopes' lists: they read it, git merges their edits.
    const shared = featureInput({ spec: specFile({ feature: 'f', infraRoot, scopes: [
      { scope: 'a', files: ['apps/staging/kustomization.yaml'], spec: service('a', 1) },
      { scope: 'b', files: ['apps/staging/kustomization.yaml'], spec: service('b', 2) },
    ] }) });
    assert.equal(shared.scopes.length, 2);
    assert.equal(existsSync(path.join(repo, '.git')), true);
  });
});
