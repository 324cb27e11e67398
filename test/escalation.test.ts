// The fix loop and the human in it: fix on attempt 2, escalate → retry / accept / abort, the
// deadline, and the answer update's validator — on a real dev server with real files.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { ImplementorInput, type ImplementorReport } from '../core/schemas';
import {
  answerUpdate, answerSignal, AwaitingHumanKey, IMPLEMENTOR_WORKFLOW, ImplementorPhaseKey, statusQuery,
} from '../workflows/messages';
import { scriptedImplementer, write } from './helpers/implementers';
import { EXAMPLES, git, gitCopy, gitStatus, snapshot } from './helpers/repo';
import { readFileSync, writeFileSync } from 'node:fs';
import { startTestServer, type TestServer } from './helpers/temporal';
import { recordHistory } from './helpers/histories';

const BROKEN_1 = 'a: [1, 2\n';
const BROKEN_2 = 'b: [3, 4\n';
const VALID = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  a: "1"\n';
const FILE = 'apps/base/catalog/extra.yaml';

async function setup(server: TestServer, script: Parameters<typeof scriptedImplementer>[0], options: Record<string, unknown> = {}) {
  const repo = await gitCopy(EXAMPLES);
  const infraRoot = path.join(repo, 'infra');
  const impl = scriptedImplementer(script);
  const { worker, taskQueue } = await server.worker({ implementers: { scripted: () => impl } });
  const input = ImplementorInput.parse({ featureDescription: 'test', scope: 'extra config', infraRoot, implementer: 'scripted', options });
  const start = () => server.env.client.workflow.start(IMPLEMENTOR_WORKFLOW, {
    taskQueue, workflowId: `esc-${Date.now()}-${Math.round(Math.random() * 1e6)}`, args: [input],
  }) as Promise<WorkflowHandle<(i: ImplementorInput) => Promise<ImplementorReport>>>;
  return { repo, infraRoot, impl, worker, start };
}

async function waitForQuestion(handle: WorkflowHandle) {
  for (let i = 0; i < 300; i++) {
    const s = await handle.query(statusQuery);
    if (s.pending) return s;
    await sleep(100);
  }
  throw new Error('no question was asked');
}

describe('fix loop and escalation', () => {
  let server: TestServer;
  before(async () => { server = await startTestServer(); });
  after(async () => { await server?.stop(); });

  it('a first proposal that fails validation is fixed on attempt 2, and history shows both validations', async () => {
    const { worker, start, impl } = await setup(server, { phases: { config: write(FILE, BROKEN_1) }, fixes: [write(FILE, VALID)] });
    const report = await worker.runUntil(async () => {
      const handle = await start();
      const r = await handle.result();
      await recordHistory(handle, 'implementor-fix-on-attempt-2');
      const history = await handle.fetchHistory();
      const validations = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'validateChanges');
      assert.equal(validations.length, 2, 'two validateChanges activities in history');
      return r;
    });
    assert.equal(report.status, 'succeeded', report.summary);
    assert.equal(report.attempts, 2);
    assert.equal(impl.fixRequests.length, 1);
    const failure = impl.fixRequests[0]?.failures.find((f) => f.validator === 'yaml');
    assert.ok(failure, 'the fix request carries the yaml failure');
    assert.equal(failure.file, FILE);
    assert.equal(failure.line, 2, 'with the line of the error');
    assert.deepEqual(report.filesCreated, [FILE]);
  });

  it('three failures escalate; retry with guidance reaches the implementer and the run completes', async () => {
    const { worker, start, impl } = await setup(server, {
      phases: { config: write(FILE, BROKEN_1) },
      fixes: [write(FILE, BROKEN_2), write(FILE, BROKEN_1), write(FILE, VALID)],
    });
    const report = await worker.runUntil(async () => {
      const handle = await start();
      const status = await waitForQuestion(handle);
      assert.equal(status.attempt, 3);
      assert.equal(status.phase, 'awaiting-human');
      assert.match(status.pending?.question ?? '', /after 3 attempt/);
      assert.ok(status.pending?.failures.some((f) => f.validator === 'yaml'));
      assert.equal(status.pending?.tried.length, 3, 'one line per failed attempt');
      const desc = await handle.describe();
      assert.equal(desc.typedSearchAttributes.get(AwaitingHumanKey), true);
      assert.equal(desc.typedSearchAttributes.get(ImplementorPhaseKey), 'awaiting-human');
      assert.match(await handle.executeUpdate(answerUpdate, { args: [{ action: 'retry', guidance: 'write a ConfigMap named extra' }] }), /retry/);
      const r = await handle.result();
      await recordHistory(handle, 'implementor-escalate-retry');
      return r;
    });
    assert.equal(report.status, 'succeeded', report.summary);
    assert.equal(impl.fixRequests.at(-1)?.guidance, 'write a ConfigMap named extra');
    assert.deepEqual(report.humanAnswers, [{ action: 'retry', guidance: 'write a ConfigMap named extra' }]);
  });

  it('accept finishes and reports the failure honestly', async () => {
    const { worker, start, infraRoot } = await setup(server, { phases: { config: write(FILE, BROKEN_1) }, fixes: [write(FILE, BROKEN_2)] }, { maxAttempts: 2 });
    const report = await worker.runUntil(async () => {
      const handle = await start();
      await waitForQuestion(handle);
      await handle.signal(answerSignal, { action: 'accept' });
      const r = await handle.result();
      await recordHistory(handle, 'implementor-escalate-accept');
      return r;
    });
    assert.equal(report.status, 'accepted');
    assert.ok(report.validations.some((v) => v.status === 'fail' && v.validator === 'yaml'), 'the failing validation is in the report');
    assert.ok(snapshot(infraRoot)[FILE], 'the accepted file stays');
  });

  it('abort restores the repository byte for byte', async () => {
    const { worker, start, repo } = await setup(server, {
      phases: { base: write('apps/base/catalog/deployment.yaml', 'changed: true\n', 'base'), config: write('apps/new/dir/extra.yaml', BROKEN_1) },
      fixes: [write('apps/new/dir/extra.yaml', BROKEN_2)],
    }, { maxAttempts: 2 });
    const beforeTree = snapshot(repo);
    const report = await worker.runUntil(async () => {
      const handle = await start();
      await waitForQuestion(handle);
      await handle.executeUpdate(answerUpdate, { args: [{ action: 'abort' }] });
      const r = await handle.result();
      await recordHistory(handle, 'implementor-escalate-abort');
      return r;
    });
    assert.equal(report.status, 'aborted');
    assert.equal(await gitStatus(repo), '', 'git sees no change, untracked files included');
    assert.deepEqual(snapshot(repo), beforeTree);
  });

  it('the deadline applies abort when nobody answers, and the report says so', async () => {
    const { worker, start, repo } = await setup(server, { phases: { config: write(FILE, BROKEN_1) } }, { maxAttempts: 1, humanDeadline: '2s' });
    const report = await worker.runUntil(async () => {
      const handle = await start();
      const r = await handle.result();
      await recordHistory(handle, 'implementor-deadline');
      return r;
    });
    assert.equal(report.status, 'aborted');
    assert.match(report.summary, /No answer before the deadline \(2s\)/);
    assert.equal(await gitStatus(repo), '');
  });

  it('the answer update is rejected when nothing is pending, and an unknown action is rejected', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const { worker, start } = await setup(server, { phases: { config: write(FILE, BROKEN_1) }, gate }, { maxAttempts: 1 });
    await worker.runUntil(async () => {
      const handle = await start();
      await assert.rejects(handle.executeUpdate(answerUpdate, { args: [{ action: 'accept' }] }), (e: Error) => /nothing is pending/.test(String((e.cause as Error | undefined)?.message)));
      release();
      await waitForQuestion(handle);
      await assert.rejects(handle.executeUpdate(answerUpdate, { args: [{ action: 'later' as 'accept' }] }), (e: Error) => /unknown action/.test(String((e.cause as Error | undefined)?.message)));
      await handle.executeUpdate(answerUpdate, { args: [{ action: 'abort' }] });
      assert.equal((await handle.result()).status, 'aborted');
    });
  });
});

describe('typed questions', () => {
  let server: TestServer;
  before(async () => { server = await startTestServer(); });
  after(async () => { await server?.stop(); });

  it('each question has an id, options and its deadline action; an answer to an earlier question is refused naming the current one; the audit trail holds both', async () => {
    const { worker, start } = await setup(server, { phases: { config: write(FILE, BROKEN_1) }, fixes: [write(FILE, BROKEN_2), write(FILE, BROKEN_1)] }, { maxAttempts: 1 });
    const report = await worker.runUntil(async () => {
      const handle = await start();
      const first = await waitForQuestion(handle);
      assert.equal(first.pending?.id, 'q1');
      assert.equal(first.pending?.kind, 'validation');
      assert.equal(first.pending?.atDeadline, 'abort');
      assert.deepEqual(first.pending?.options.map((o) => o.action), ['retry', 'accept', 'abort']);
      await handle.executeUpdate(answerUpdate, { args: [{ action: 'retry', question: 'q1', guidance: 'try again', by: 'alice@test' }] });
      let second = await handle.query(statusQuery);
      for (let i = 0; i < 300 && second.pending?.id !== 'q2'; i++) { await sleep(100); second = await handle.query(statusQuery); }
      assert.equal(second.pending?.id, 'q2');
      await assert.rejects(
        handle.executeUpdate(answerUpdate, { args: [{ action: 'accept', question: 'q1' }] }),
        (e: Error) => /question q1 is not pending \(answered or superseded\): the open question is q2/.test(String((e.cause as Error | undefined)?.message)),
      );
      await handle.executeUpdate(answerUpdate, { args: [{ action: 'abort', question: 'q2', by: 'bob@test' }] });
      return handle.result();
    });
    assert.equal(report.status, 'aborted');
    assert.deepEqual(report.audit.map((e) => [e.id, e.answer?.action, e.answer?.by, e.answer?.guidance]), [['q1', 'retry', 'alice@test', 'try again'], ['q2', 'abort', 'bob@test', undefined]]);
    for (const e of report.audit) assert.ok(Date.parse(e.askedAt) <= Date.parse(e.answer?.at ?? ''), 'answered after it was asked');
  });

  it('a question nobody answers is in the audit trail with the deadline action', async () => {
    const { worker, start } = await setup(server, { phases: { config: write(FILE, BROKEN_1) } }, { maxAttempts: 1, humanDeadline: '1s', deadlineAction: 'accept' });
    const report = await worker.runUntil(async () => (await start()).result());
    assert.equal(report.status, 'accepted');
    assert.equal(report.audit.length, 1);
    assert.equal(report.audit[0]?.timedOut?.action, 'accept');
    assert.equal(report.audit[0]?.answer, undefined);
  });
});

describe('compliance findings drive the loop', () => {
  let server: TestServer;
  before(async () => { server = await startTestServer(); });
  after(async () => { await server?.stop(); });

  const DEPLOYMENT = 'apps/base/catalog/deployment.yaml';
  const original = readFileSync(path.join(EXAMPLES, 'infra', DEPLOYMENT), 'utf8');
  const withoutLimits = original.replace(/\n {12}limits:\n {14}cpu: 500m\n {14}memory: 256Mi/, '');

  it('an error finding in a file the run wrote fails the attempt; the fix gets it and the run succeeds on attempt 2', async () => {
    assert.notEqual(withoutLimits, original, 'the fixture lost its limits');
    const { worker, start, impl } = await setup(server, { phases: { base: write(DEPLOYMENT, withoutLimits, 'base') }, fixes: [write(DEPLOYMENT, original)] });
    const report = await worker.runUntil(async () => (await start()).result());
    assert.equal(report.status, 'succeeded', report.summary);
    assert.equal(report.attempts, 2);
    const finding = impl.fixRequests[0]?.findings.find((f) => f.check === 'resource-requests-limits');
    assert.ok(finding, `the fix request carries the finding: ${JSON.stringify(impl.fixRequests[0]?.findings)}`);
    assert.equal(finding.file, DEPLOYMENT);
    assert.equal(impl.fixRequests[0]?.failures.length, 0, 'no validator failed: the finding alone failed the attempt');
  });

  it('a run whose own files keep an error finding asks, showing the finding, and is accepted, not succeeded', async () => {
    const { worker, start } = await setup(server, { phases: { base: write(DEPLOYMENT, withoutLimits, 'base') } }, { maxAttempts: 1 });
    const report = await worker.runUntil(async () => {
      const handle = await start();
      const status = await waitForQuestion(handle);
      assert.match(status.pending?.question ?? '', /Compliance errors remain in the files this run wrote after 1 attempt/);
      assert.ok(status.pending?.failures.some((f) => f.validator === 'compliance' && /resource-requests-limits/.test(f.message) && f.file === DEPLOYMENT));
      await handle.executeUpdate(answerUpdate, { args: [{ action: 'accept' }] });
      return handle.result();
    });
    assert.equal(report.status, 'accepted');
  });

  it('an error finding in a file the run did not touch is reported and never blocks', async () => {
    const repo = await gitCopy(EXAMPLES);
    writeFileSync(path.join(repo, 'infra', DEPLOYMENT), withoutLimits);
    await git(repo, '-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-qam', 'a finding before the run');
    // The run adds a ConfigMap to the catalog's kustomization: the overlays that render the (untouched,
    // limit-less) Deployment are validated, so its finding is seen, and must not block.
    const kustomization = 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: shop\nresources:\n  - deployment.yaml\n  - service.yaml\n  - extra.yaml\n';
    const config = write(FILE, VALID);
    config.operations.push({ path: 'apps/base/catalog/kustomization.yaml', action: 'write', content: kustomization, phase: 'config' });
    const impl = scriptedImplementer({ phases: { config } });
    const { worker, taskQueue } = await server.worker({ implementers: { scripted: () => impl } });
    const input = ImplementorInput.parse({ featureDescription: 'test', scope: 'extra config', infraRoot: path.join(repo, 'infra'), implementer: 'scripted' });
    const report = await worker.runUntil(server.env.client.workflow.execute(IMPLEMENTOR_WORKFLOW, { taskQueue, workflowId: `pre-${Date.now()}`, args: [input] })) as ImplementorReport;
    assert.equal(report.status, 'succeeded', report.summary);
    assert.equal(report.attempts, 1);
    assert.ok(report.findings.some((f) => f.check === 'resource-requests-limits' && f.file === DEPLOYMENT && f.severity === 'error'), 'reported');
  });
});
