// The pull request at the end of a run from a Git remote, on a real Gitea on loopback: opened with the
// report as its body, updated and never opened twice, a draft that leads with what still fails for a
// run accepted with failures, one pull request for a whole feature, a worker SIGKILLed between the
// push and the request (and after the request, before its answer), and a token without the rights.
// Workers are child processes with the production options; the tokens live in their environment only.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { WorkflowHandle } from '@temporalio/client';
import type { FeatureReport } from '../core/feature';
import { ImplementorInput, type ImplementorReport } from '../core/schemas';
import { answerUpdate, IMPLEMENTOR_WORKFLOW } from '../workflows/messages';
import { ImplementorClient } from '../client/client';
import { featureInput } from '../client/inputs';
import { recordHistory } from './helpers/histories';
import { startGitea, type Gitea } from './helpers/gitea';
import { EXAMPLES, PROJECT_ROOT, git, specFile } from './helpers/repo';
import { startTestServer, type TestServer } from './helpers/temporal';
import { waitForQuestion } from './helpers/crash-run';
import { bundleCrashWorkflows, startWorkerProcess, type WorkerProcess } from './helpers/worker-process';

const BIN = path.join(PROJECT_ROOT, 'bin/infra-implementor.js');
const SPEC = path.join(EXAMPLES, 'orders.spec.yaml');
const UI = 'http://temporal-ui.test:8233';

interface GiteaPull { number: number; title: string; body: string; state: string; draft?: boolean; html_url: string; head: { ref: string }; base: { ref: string } }

describe('pull requests on a real Gitea', { concurrency: 1 }, () => {
  let server: TestServer;
  let gitea: Gitea;
  let bundle: string;
  const workers: WorkerProcess[] = [];

  /** A worker process with the production options; `token` is its GITEA_TOKEN (none when undefined). */
  const worker = async (taskQueue: string, stateDir: string, token: string | undefined, holdAt?: string) => {
    const w = await startWorkerProcess({
      address: server.env.connection.options.address as string, taskQueue, stateDir, bundle, ...(holdAt ? { holdAt } : {}), logLevel: 'INFO',
      env: { INFRA_IMPLEMENTOR_GIT_TOKEN: gitea.owner.token, INFRA_IMPLEMENTOR_UI_URL: UI, ...(token ? { GITEA_TOKEN: token } : {}) },
    });
    workers.push(w);
    return w;
  };
  const cli = (taskQueue: string, args: string[]) => execa('node', [BIN, ...args], {
    reject: false, env: { TEMPORAL_ADDRESS: server.env.connection.options.address ?? '', TEMPORAL_TASK_QUEUE: taskQueue, ANTHROPIC_API_KEY: '' },
  });
  const implement = (taskQueue: string, url: string, extra: string[] = []) => cli(taskQueue, ['implement', '--feature', 'Add orders', '--scope', 'orders service', '--repo', url, '--subdir', 'infra', '--spec', SPEC, '--pull-request', '--forge', 'gitea', ...extra]);
  const pulls = async (repo: string) => (await gitea.api<GiteaPull[]>('GET', `/repos/${gitea.owner.name}/${repo}/pulls?state=all&limit=50`)).body;
  /** Nothing a run leaves anywhere may hold the token: its report, the pull request, its history. */
  const assertNoToken = async (token: string, ...texts: string[]) => {
    for (const t of texts) assert.ok(!t.includes(token), `the token leaked: ${t.slice(0, 200)}`);
  };
  const historyText = async (id: string) => historyToJSON(await server.env.client.workflow.getHandle(id).fetchHistory());
  const fresh = () => ({ taskQueue: `pr-${randomUUID()}`, stateDir: mkdtempSync(path.join(os.tmpdir(), 'ii-state-')) });

  before(async () => {
    [server, gitea, bundle] = await Promise.all([startTestServer(), startGitea(), bundleCrashWorkflows()]);
  });
  after(async () => {
    for (const w of workers) await w.kill();
    await gitea?.stop();
    await server?.stop();
  });

  it('implement --pull-request opens a pull request from infra/orders into main whose body is the report, links the run, and a second request updates it', async () => {
    const { taskQueue, stateDir } = fresh();
    const w = await worker(taskQueue, stateDir, gitea.owner.token);
    const url = await gitea.repository('orders');
    const r = await implement(taskQueue, url, ['--wait', '--json']);
    assert.equal(r.exitCode, 0, String(r.stderr));
    const report = JSON.parse(String(r.stdout)) as ImplementorReport;
    await recordHistory(server.env.client.workflow.getHandle(report.workflowId), 'implementor-pull-request');
    assert.equal(report.status, 'succeeded', report.summary);
    assert.equal(report.pushed, true);
    assert.match(report.pullRequest?.url ?? '', new RegExp(`^${gitea.url}/owner/orders/pulls/\\d+$`));
    assert.equal(report.pullRequest?.draft, false);
    assert.match(report.summary, /Pull request opened: http/);
    const [pr, ...others] = await pulls('orders');
    assert.equal(others.length, 0, 'one pull request');
    assert.equal(pr?.number, report.pullRequest?.number);
    assert.deepEqual([pr?.head.ref, pr?.base.ref, pr?.state, pr?.title], ['infra/orders', 'main', 'open', 'Add orders']);
    const body = pr?.body ?? '';
    for (const f of [...report.filesCreated, ...report.filesModified]) assert.ok(body.includes(`\`${f}\``), `the body names ${f}`);
    for (const section of ['## Files created', '## Assumptions to review (REVIEW)', '## Dependencies', '## Validation', '## Compliance', 'LLM usage: no LLM calls']) assert.ok(body.includes(section), section);
    for (const a of report.assumptions) if (a.file) assert.ok(body.includes(`(\`${a.file}\`)`), `the assumption's file ${a.file}`);
    assert.ok(body.includes(`[This run in the Temporal Web UI](${UI}/namespaces/default/workflows/${encodeURIComponent(report.workflowId)})`), 'links the run in the Web UI');
    assert.doesNotMatch(body, /Still failing/);
    writeFileSync(path.join(os.tmpdir(), 'ii-pull-request-body.md'), body);
    await assertNoToken(gitea.owner.token, String(r.stdout), String(r.stderr), body, await historyText(report.workflowId), w.output());
    assert.match(w.output(), /openPullRequest/, 'the worker\'s log (INFO) covers the request it greps');

    // The same run's request again (a retried activity, a re-run): the open one is updated, never a second one.
    const again = await cli(taskQueue, ['result', report.workflowId, '--json']);
    assert.equal(JSON.parse(String(again.stdout)).pullRequest.number, pr?.number);
    const printed = await cli(taskQueue, ['result', report.workflowId]);
    assert.ok(String(printed.stdout).includes(`\nPull request: ${report.pullRequest?.url}\n`), 'the report people read names the pull request');
    const { openPullRequest } = await import('../runtime/forge');
    const updated = await openPullRequest(
      { url, target: { forge: 'gitea' }, base: 'main', branch: 'infra/orders', reviewed: { kind: 'scope', report: { ...report, summary: 'Updated summary.' } } },
      { runUrl: `${UI}/x`, env: { GITEA_TOKEN: gitea.owner.token } },
    );
    assert.deepEqual([updated.created, updated.number], [false, pr?.number]);
    const after = await pulls('orders');
    assert.equal(after.length, 1, 'still one pull request');
    assert.match(after[0]?.body ?? '', /Updated summary\./);
  });

  it('a run accepted with failures opens a draft whose body leads with what still fails, and the answer and who gave it are in its audit section', async () => {
    const { taskQueue, stateDir } = fresh();
    await worker(taskQueue, stateDir, gitea.owner.token);
    const url = await gitea.repository('accepted');
    const input = ImplementorInput.parse({
      featureDescription: 'Add orders', scope: 'orders service', implementer: 'fixable',
      spec: { service: 'orders', image: 'ghcr.io/acme/orders:1.4.2', port: 8080, config: { LOG_LEVEL: 'info' } },
      repo: { url, subdir: 'infra', branch: 'infra/orders', pullRequest: { forge: 'gitea' } }, options: { maxAttempts: 1 },
    });
    const handle: WorkflowHandle<(i: ImplementorInput) => Promise<ImplementorReport>> = await server.env.client.workflow.start(IMPLEMENTOR_WORKFLOW, { taskQueue, workflowId: `pr-accepted-${randomUUID()}`, args: [input] });
    await waitForQuestion(handle);
    await handle.executeUpdate(answerUpdate, { args: [{ action: 'accept', by: 'alice@example.com', guidance: 'the config is fixed in a follow-up' }] });
    const report = await handle.result();
    assert.equal(report.status, 'accepted', report.summary);
    assert.equal(report.pullRequest?.draft, true, report.summary);
    const [pr] = await pulls('accepted');
    assert.ok(pr?.title.startsWith('WIP: '), `a draft on Gitea is a WIP: title (${pr?.title})`);
    const body = pr?.body ?? '';
    assert.ok(body.startsWith('## ⚠️ Still failing'), `the body leads with what still fails: ${body.slice(0, 120)}`);
    const failing = report.validations.find((v) => v.status === 'fail');
    assert.ok(failing && body.indexOf(failing.target) < body.indexOf('## Files created'), 'the failure comes before the report');
    assert.match(body, /## Questions and answers\n- q1 .* — accept by alice@example\.com at .*: the config is fixed in a follow-up/);
    writeFileSync(path.join(os.tmpdir(), 'ii-pull-request-draft-body.md'), `${pr?.title}\n\n${body}`);
  });

  it('feature --pull-request (pullRequest: true in the spec) opens one pull request for the feature branch, listing its scopes', async () => {
    const { taskQueue, stateDir } = fresh();
    await worker(taskQueue, stateDir, gitea.owner.token);
    const url = await gitea.repository('feature');
    const spec = specFile({
      feature: 'Add the orders and payments services', repo: { url, subdir: 'infra' }, pullRequest: { forge: 'gitea' },
      scopes: [
        { scope: 'orders service', spec: { service: 'orders', image: 'ghcr.io/acme/orders:1.4.2', port: 8080 } },
        { scope: 'payments service', spec: { service: 'payments', image: 'ghcr.io/acme/payments:2.0.0', port: 9090 } },
      ],
    });
    // Started through the client with the recording's name as id: replay derives the children's ids from it.
    const client = new ImplementorClient(server.env.client, taskQueue);
    const id = await client.startFeature(featureInput({ spec }), 'feature-pull-request');
    const report = await client.result<FeatureReport>(id);
    await recordHistory(server.env.client.workflow.getHandle(id), 'feature-pull-request');
    assert.equal(report.status, 'succeeded', report.summary);
    const all = await pulls('feature');
    assert.equal(all.length, 1);
    assert.deepEqual([all[0]?.head.ref, all[0]?.base.ref, all[0]?.title, all[0]?.number], ['infra/add-the-orders-and-payments-services', 'main', 'Add the orders and payments services', report.pullRequest?.number]);
    for (const s of ['**orders service** — succeeded', '**payments service** — succeeded', '## Validation of the merged tree']) assert.ok(all[0]?.body.includes(s), s);
  });

  for (const [point, what] of [['start:openPullRequest', 'between the push and the request'], ['end:openPullRequest', 'after the request, before its answer']] as const) {
    it(`a worker SIGKILLed ${what}: the next worker opens or finds the pull request, and there is exactly one`, async () => {
      const { taskQueue, stateDir } = fresh();
      const first = await worker(taskQueue, stateDir, gitea.owner.token, point);
      const url = await gitea.repository(`crash-${point.split(':')[0]}`);
      const started = await implement(taskQueue, url);
      assert.equal(started.exitCode, 0, String(started.stderr));
      const id = String(started.stdout).trim();
      await first.waitFor(`hold ${point}`, 120_000);
      const branch = await git(os.tmpdir(), 'ls-remote', url, 'refs/heads/infra/orders');
      assert.match(branch, /^[0-9a-f]{40}\trefs\/heads\/infra\/orders$/, 'the branch was pushed before the request');
      await first.kill();
      await worker(taskQueue, stateDir, gitea.owner.token);
      const report = await server.env.client.workflow.getHandle(id).result() as ImplementorReport;
      assert.equal(report.status, 'succeeded', report.summary);
      const all = await pulls(`crash-${point.split(':')[0]}`);
      assert.equal(all.length, 1, 'exactly one pull request');
      assert.equal(all[0]?.number, report.pullRequest?.number);
      assert.match(report.summary, point.startsWith('end') ? /Pull request updated/ : /Pull request opened/);
    });
  }

  it('a 503 with Retry-After (a proxy in front of Gitea\'s API): Temporal retries the request after it, and one pull request is opened', async () => {
    const { taskQueue, stateDir } = fresh();
    await worker(taskQueue, stateDir, gitea.owner.token);
    const url = await gitea.repository('flaky');
    let refused = 0;
    const proxy = createServer((req, res) => {
      if (refused++ < 1) {
        res.writeHead(503, { 'retry-after': '1', 'content-type': 'application/json' });
        res.end('{"message":"maintenance"}');
        return;
      }
      const up = httpRequest(`${gitea.url}${req.url}`, { method: req.method, headers: req.headers }, (r) => { res.writeHead(r.statusCode ?? 502, r.headers); r.pipe(res); });
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const r = await implement(taskQueue, url, ['--forge-url', `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, '--wait', '--json']);
      const report = JSON.parse(String(r.stdout)) as ImplementorReport;
      assert.equal(r.exitCode, 0, report.summary);
      assert.equal((await pulls('flaky')).length, 1);
      const events = (await server.env.client.workflow.getHandle(report.workflowId).fetchHistory()).events ?? [];
      const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'openPullRequest');
      const started = events.find((e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(scheduled?.eventId));
      assert.equal(started?.activityTaskStartedEventAttributes?.attempt, 2, 'the second attempt opened it');
      assert.equal(started?.activityTaskStartedEventAttributes?.lastFailure?.applicationFailureInfo?.type, 'ForgeUnavailable');
      assert.match(started?.activityTaskStartedEventAttributes?.lastFailure?.message ?? '', /^gitea failed \(503: maintenance\); retried$/);
    } finally {
      proxy.closeAllConnections();
      proxy.close();
    }
  });

  it('a token without the rights: one attempt, a clear failure naming the scope it lacks, the branch stays pushed and the report says so', async () => {
    const { taskQueue, stateDir } = fresh();
    const w = await worker(taskQueue, stateDir, gitea.reader.token);
    const url = await gitea.repository('denied');
    const r = await implement(taskQueue, url, ['--wait', '--json']);
    assert.equal(r.exitCode, 1, 'a pull request asked for and not opened fails the command');
    const report = JSON.parse(String(r.stdout)) as ImplementorReport;
    assert.equal(report.status, 'succeeded');
    assert.equal(report.pullRequest, undefined);
    assert.match(report.pullRequestError ?? '', /^the gitea token may not open pull requests on owner\/denied \(403: token does not have at least one of required scope\(s\), required=\[write:repository\]/);
    assert.match(report.summary, /the branch infra\/orders stays pushed\.$/);
    assert.equal(await git(os.tmpdir(), 'ls-remote', url, 'refs/heads/infra/orders').then((o) => o.split('\t')[0]), report.commit);
    assert.equal((await pulls('denied')).length, 0);
    const events = (await server.env.client.workflow.getHandle(report.workflowId).fetchHistory()).events ?? [];
    const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'openPullRequest');
    assert.equal(scheduled.length, 1, 'scheduled once');
    const started = events.find((e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(scheduled[0]?.eventId));
    assert.equal(started?.activityTaskStartedEventAttributes?.attempt, 1, 'no retry: a 403 is final');
    const failed = events.find((e) => e.activityTaskFailedEventAttributes)?.activityTaskFailedEventAttributes?.failure?.applicationFailureInfo;
    assert.deepEqual([failed?.type, failed?.nonRetryable], ['ForgeDenied', true]);
    assert.match(w.output(), /ForgeDenied|may not open pull requests/, 'the worker logged the failure');
    await assertNoToken(gitea.reader.token, String(r.stdout), await historyText(report.workflowId), w.output());
  });

  it('no token on the worker: one line naming the variables to set', async () => {
    const { taskQueue, stateDir } = fresh();
    await worker(taskQueue, stateDir, undefined);
    const url = await gitea.repository('no-token');
    const report = JSON.parse(String((await implement(taskQueue, url, ['--wait', '--json'])).stdout)) as ImplementorReport;
    assert.equal(report.pullRequestError, 'no gitea token: set INFRA_IMPLEMENTOR_FORGE_TOKEN or GITEA_TOKEN in the worker\'s environment');
    assert.equal(report.pushed, true);
  });
});
