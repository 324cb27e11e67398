// The full infrastructureImplementor workflow with the anthropic implementer on a real Temporal dev
// server, the worker's environment pointing the real SDK at a local Messages API (ANTHROPIC_BASE_URL).
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execa } from 'execa';
import type { WorkflowHandle } from '@temporalio/client';
import { ImplementorInput, type ImplementorReport, type LlmUsage } from '../core/schemas';
import { IMPLEMENTOR_WORKFLOW } from '../workflows/messages';
import { LEARNED_PATTERNS_FILE, readLearnedPatterns } from '../runtime/learned-patterns';
import { loadConfig } from '../worker/config';
import { workerImplementers } from '../worker/implementers';
import { rateLimited, rawToolReply, startFakeAnthropic, toolReply, unauthorized, type FakeAnthropic } from './helpers/fake-anthropic';
import { EXAMPLES, gitCopy } from './helpers/repo';
import { baseKustomization, op, phases } from './helpers/orders-replies';
import { startTestServer, type TestServer } from './helpers/temporal';

const API_KEY = 'sk-ant-workflow-test-5f1e2d3c4b5a-secret';
/** The worker's environment, parsed by the worker's own config loader. */
const workerEnv = (fake: FakeAnthropic) => loadConfig({ ANTHROPIC_API_KEY: API_KEY, ANTHROPIC_BASE_URL: fake.url });

describe('infrastructureImplementor with the anthropic implementer', () => {
  let server: TestServer;
  let fake: FakeAnthropic;
  before(async () => { server = await startTestServer(); });
  beforeEach(async () => {
    await fake?.close();
    fake = await startFakeAnthropic();
  });
  after(async () => {
    await fake?.close();
    await server?.stop();
  });

  async function run(id: string, repo?: string) {
    const root = repo ?? await gitCopy(EXAMPLES);
    const infraRoot = path.join(root, 'infra');
    const { worker, taskQueue } = await server.worker({ implementers: workerImplementers(workerEnv(fake)) });
    const input = ImplementorInput.parse({ featureDescription: 'Add the orders service', scope: 'orders service', infraRoot, reposRoot: root, implementer: 'anthropic' });
    return worker.runUntil(async () => {
      const handle = await server.env.client.workflow.start(IMPLEMENTOR_WORKFLOW, { taskQueue, workflowId: `${id}-${Date.now()}`, args: [input] }) as WorkflowHandle<(i: ImplementorInput) => Promise<ImplementorReport>>;
      const report = await handle.result();
      const history = JSON.stringify(await handle.fetchHistory());
      return { report, history, infraRoot, root };
    });
  }

  it('writes the files the model proposes, every overlay builds, usage is summed and the key is nowhere in history', async () => {
    fake.enqueue(...phases().map((c) => toolReply(c)));
    const { report, history, infraRoot } = await run('anthropic-happy');
    assert.equal(report.status, 'succeeded', report.summary);
    assert.deepEqual(report.filesCreated, ['apps/base/orders/deployment.yaml', 'apps/base/orders/kustomization.yaml', 'apps/base/orders/service.yaml']);
    assert.deepEqual(report.filesModified, ['apps/production/kustomization.yaml', 'apps/staging/kustomization.yaml']);
    for (const env of ['staging', 'production']) {
      const built = await execa('kubectl', ['kustomize', path.join(infraRoot, 'apps', env)]);
      assert.match(String(built.stdout), /name: orders/);
    }
    const served = fake.messageRequests().map((r) => r.usage);
    assert.equal(served.length, 5);
    const expected: LlmUsage = {
      calls: 5,
      inputTokens: served.reduce((n, u) => n + (u?.input_tokens ?? 0), 0),
      outputTokens: served.reduce((n, u) => n + (u?.output_tokens ?? 0), 0),
      cacheReadTokens: served.reduce((n, u) => n + (u?.cache_read_input_tokens ?? 0), 0),
      cacheWriteTokens: served.reduce((n, u) => n + (u?.cache_creation_input_tokens ?? 0), 0),
    };
    const { calls, inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens } = report.llmUsage;
    assert.deepEqual({ calls, inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens }, expected);
    // The default model has a price (the Sonnet family's, core/pricing.ts): the run says what it cost.
    assert.ok((report.llmUsage.costUsd ?? 0) > 0, 'an estimated cost');
    assert.deepEqual(Object.keys(report.llmUsage.byModel ?? {}), ['claude-sonnet-5-5']);
    assert.ok(report.llmUsage.cacheReadTokens > 0, 'phases after the first read the prefix from the cache');
    assert.ok(report.dependencies.some((d) => d.description === 'ghcr.io/acme/orders:1.4.2'));
    assert.ok(history.includes('proposePhase'), 'the history was read');
    assert.ok(!history.includes(API_KEY), 'the API key is absent from the whole workflow history');
    for (const r of fake.messageRequests()) assert.ok(!r.rawBody.includes(API_KEY));
  });

  it('the model calls run on the shared queue (any worker); the workspace\'s worker drafts each request and applies each reply', async () => {
    fake.enqueue(...phases().map((c) => toolReply(c)));
    const root = await gitCopy(EXAMPLES);
    const { workers, taskQueue } = await server.workers({ implementers: workerImplementers(workerEnv(fake)) });
    const input = ImplementorInput.parse({ featureDescription: 'Add the orders service', scope: 'orders service', infraRoot: path.join(root, 'infra'), implementer: 'anthropic' });
    const { report, steps } = await workers.runUntil(async () => {
      const handle = await server.env.client.workflow.start(IMPLEMENTOR_WORKFLOW, { taskQueue, workflowId: `anthropic-split-${Date.now()}`, args: [input] }) as WorkflowHandle<(i: ImplementorInput) => Promise<ImplementorReport>>;
      const r = await handle.result();
      const events = (await handle.fetchHistory()).events ?? [];
      return { report: r, steps: events.flatMap((e) => { const a = e.activityTaskScheduledEventAttributes; return a ? [{ type: a.activityType?.name, queue: a.taskQueue?.name }] : []; }) };
    });
    assert.equal(report.status, 'succeeded', report.summary);
    const queues = (type: string) => [...new Set(steps.filter((x) => x.type === type).map((x) => x.queue))];
    assert.equal(steps.filter((x) => x.type === 'askModel').length, 5, 'one model call per phase');
    assert.deepEqual(queues('askModel'), [taskQueue], 'model calls on the shared queue');
    assert.deepEqual(queues('proposePhase'), [workers.hostTaskQueue], 'requests drafted where the workspace is');
    assert.deepEqual(queues('applyChangeSet'), [workers.hostTaskQueue]);
  });

  // 3 s rather than 2: the LLM retry policy's own first interval is 2 s, so only a wait beyond it
  // proves that retry-after was honoured (the unit test pins retry-after: 2 → nextRetryDelay 2 s).
  it('a 429 with retry-after is retried by Temporal after that delay, both attempts in history', async () => {
    fake.enqueue(rateLimited('3'), ...phases().map((c) => toolReply(c)));
    const { report, history } = await run('anthropic-429');
    assert.equal(report.status, 'succeeded', report.summary);
    const [first, second] = fake.messageRequests();
    assert.ok(first && second);
    assert.ok(second.at - first.at >= 3000, `second request ${second.at - first.at} ms after the first`);
    assert.match(history, /"attempt":2/, 'the retried activity started as attempt 2');
    assert.match(history, /AnthropicRateLimited/, 'the first attempt\'s failure is recorded');
    assert.ok(!history.includes(API_KEY));
  });

  it('a rejected key (401) fails the run fast after one request, saying what to fix, and restores nothing it did not write', async () => {
    fake.enqueue(unauthorized());
    const started = Date.now();
    const { report, history } = await run('anthropic-401');
    assert.equal(report.status, 'failed');
    assert.match(report.summary, /ANTHROPIC_API_KEY was rejected/);
    assert.equal(fake.messageRequests().length, 1, 'no retry: the SDK\'s are off and the failure is non-retryable');
    assert.ok(Date.now() - started < 15_000);
    assert.deepEqual([...report.filesCreated, ...report.filesModified], []);
    assert.ok(!history.includes(API_KEY));
  });

  it('a reply cut at max_tokens is never applied: it counts as a failed attempt and the fix prompt says why', async () => {
    const all = phases();
    fake.enqueue(toolReply(all[0], { stopReason: 'max_tokens' }), toolReply({ operations: all.flatMap((c) => c.operations) }));
    const { report } = await run('anthropic-max-tokens');
    assert.equal(report.status, 'succeeded', report.summary);
    assert.equal(report.attempts, 2);
    assert.equal(fake.messageRequests().length, 2, 'the cut reply, then one fix with everything');
    assert.match(String(fake.messageRequests()[1]?.body?.messages[0]?.content), /cut at max_tokens/);
    assert.ok(report.filesCreated.includes('apps/base/orders/service.yaml'));
  });

  it('a reply that breaks the schema is corrected inside the activity; a failing change is fixed with the exact error, and the lesson is learned for the next run', async () => {
    const broken = phases(baseKustomization(['deployment.yaml', 'missing.yaml']));
    fake.enqueue(
      rawToolReply('{"operations": [ oops'), toolReply(broken[0]),
      ...broken.slice(1).map((c) => toolReply(c)),
      toolReply({ operations: [op('apps/base/orders/kustomization.yaml', baseKustomization(['deployment.yaml', 'service.yaml']), 'base')] }),
    );
    const { report, root } = await run('anthropic-fix');
    assert.equal(report.status, 'succeeded', report.summary);
    assert.equal(report.attempts, 2);
    const requests = fake.messageRequests();
    assert.equal(requests.length, 7, 'five phases, one correction, one fix');
    const fixPrompt = String(requests.at(-1)?.body?.messages[0]?.content);
    assert.match(fixPrompt, /Validation of attempt 1 failed/);
    assert.match(fixPrompt, /\[kustomize\] apps\/(staging|production)/);
    assert.match(fixPrompt, /missing\.yaml/, 'the exact validator output reaches the model');
    assert.equal(report.llmUsage.calls, 7);

    // What fixed it is recorded under the repos root, and the next run reads it as knowledge.
    const learned = await readLearnedPatterns(root);
    assert.equal(learned.length, 1);
    assert.match(learned[0]?.failed ?? '', /kustomize/);
    assert.match(learned[0]?.fixed ?? '', /write apps\/base\/orders\/kustomization\.yaml/);
    await fake.close();
    fake = await startFakeAnthropic();
    fake.enqueue(...Array.from({ length: 5 }, () => toolReply({ operations: [] })));
    const next = await run('anthropic-next', root);
    assert.equal(next.report.status, 'succeeded', next.report.summary);
    const system = JSON.stringify(fake.messageRequests()[0]?.body?.system);
    assert.ok(system.includes(LEARNED_PATTERNS_FILE) && system.includes(learned[0]?.id ?? 'missing'), 'the lesson is in the next run\'s prompt');
  });
});
