// The Claude implementer as an agent, end to end: a real Temporal dev server, the real
// @anthropic-ai/sdk streaming from a local Messages API that plays an exploring model, real files in
// a git repository, real kubectl. What the model may see, what it costs and what history holds.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { WorkflowHandle } from '@temporalio/client';
import type { ImplementorInput, ImplementorReport } from '../core/schemas';
import { LEARNED_PATTERNS_FILE, readLearnedPatterns } from '../runtime/learned-patterns';
import { IMPLEMENTOR_WORKFLOW, statusQuery } from '../workflows/messages';
import { loadConfig } from '../worker/config';
import { workerImplementers } from '../worker/implementers';
import { rateLimited, startFakeAnthropic, turn, unauthorized, type FakeAnthropic, type MessagesRequestBody, type Scripted } from './helpers/fake-anthropic';
import { agentInput, agentRepo, explorationScript, PLANTED, PLANTED_TOKEN_B64, REPLICAS_PATCH, WRITTEN_MARK } from './helpers/agent-script';
import { BIN } from './helpers/cli-process';
import { recordHistory } from './helpers/histories';
import { gitStatus } from './helpers/repo';
import { startTestServer, type TestServer } from './helpers/temporal';
import { until } from './helpers/until';

const API_KEY = 'sk-ant-agent-test-9d8c7b6a5f4e-secret';
type Implementor = (i: ImplementorInput) => Promise<ImplementorReport>;

/** Every tool_result the model was sent in a request, as text. */
function toolResults(body: MessagesRequestBody | undefined): { id: string; text: string; error: boolean }[] {
  const last = body?.messages.at(-1);
  if (!last || typeof last.content === 'string') return [];
  return last.content.filter((b) => b.type === 'tool_result').map((b) => ({ id: String(b.tool_use_id), text: String(b.content), error: b.is_error === true }));
}

const sumServed = (fake: FakeAnthropic) => {
  const served = fake.messageRequests().flatMap((r) => (r.usage ? [r.usage] : []));
  return {
    calls: served.length,
    inputTokens: served.reduce((n, u) => n + u.input_tokens, 0),
    outputTokens: served.reduce((n, u) => n + u.output_tokens, 0),
    cacheReadTokens: served.reduce((n, u) => n + u.cache_read_input_tokens, 0),
    cacheWriteTokens: served.reduce((n, u) => n + u.cache_creation_input_tokens, 0),
  };
};

describe('the anthropic implementer as an agent', () => {
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

  /** One run on a worker of its own; `during` runs beside it (answering, watching). */
  async function run(id: string, input: ImplementorInput, during?: (h: WorkflowHandle<Implementor>) => Promise<void>) {
    const { worker, taskQueue } = await server.worker(workerImplementers(loadConfig({ ANTHROPIC_API_KEY: API_KEY, ANTHROPIC_BASE_URL: fake.url })));
    return worker.runUntil(async () => {
      const handle = await server.env.client.workflow.start(IMPLEMENTOR_WORKFLOW, { taskQueue, workflowId: `${id}-${Date.now()}`, args: [input] }) as WorkflowHandle<Implementor>;
      await during?.(handle);
      const report = await handle.result();
      const h = await handle.fetchHistory();
      return { report, history: JSON.stringify(h), events: h.events ?? [], handle, taskQueue };
    });
  }

  it('explores, writes, edits, validates and finishes; no secret value and no file content leaves; every reply is counted', async () => {
    fake.enqueue(...explorationScript({ cut: true }));
    const { infraRoot } = await agentRepo();
    const { report, history, events, handle } = await run('agent-explore', agentInput(infraRoot));
    assert.equal(report.status, 'succeeded', report.summary);
    await recordHistory(handle, 'implementor-agent');

    // The change on disk, and kustomize builds it.
    assert.equal(readFileSync(path.join(infraRoot, 'apps/production/replicas.yaml'), 'utf8'), REPLICAS_PATCH);
    assert.match(readFileSync(path.join(infraRoot, 'apps/production/kustomization.yaml'), 'utf8'), /# Production: 3 replicas of catalog/);
    assert.match(String((await execa('kubectl', ['kustomize', path.join(infraRoot, 'apps/production')])).stdout), /replicas: 3/);
    assert.deepEqual(report.filesCreated, ['apps/production/replicas.yaml']);
    assert.deepEqual(report.filesModified, ['apps/production/kustomization.yaml']);
    assert.deepEqual(report.filesRead, ['apps/base/catalog/db-secret.yaml', 'apps/base/catalog/deployment.yaml', 'apps/production/kustomization.yaml']);
    assert.ok(report.assumptions.some((a) => a.file === 'apps/production/replicas.yaml' && /3 replicas in production/.test(a.text)), 'the REVIEW comment is an assumption');
    assert.ok(report.assumptions.some((a) => /catalog only/.test(a.text)), 'Finish\'s assumptions are in the report');

    const requests = fake.messageRequests();
    assert.equal(requests.length, 10, 'nine turns, and the cut one asked again');
    const results = requests.map((r) => toolResults(r.body));
    // Two Reads in one turn are answered in the next request, together.
    assert.equal(results[2]?.length, 2);
    assert.match(results[2]?.[1]?.text ?? '', /readinessProbe/);
    // The Secret is shown with its keys and without its values; Grep cannot find them either.
    const [secret, grep] = results[3] ?? [];
    assert.match(secret?.text ?? '', /password: "<redacted: 23 characters>"/);
    assert.match(secret?.text ?? '', /token: "<redacted: \d+ characters>"/);
    assert.match(grep?.text ?? '', /apps\/base\/catalog\/db-secret\.yaml:7: {3}password: "<redacted: 23 characters>"/);
    // Mistakes come back as errors that say what to do.
    assert.equal(results[4]?.[0]?.error, true);
    assert.match(results[4]?.[0]?.text ?? '', /content/);
    assert.ok(results[5]?.every((r) => r.error && /relative to the repository root/.test(r.text)), 'paths out of the repository are refused');
    // The cut reply was counted and its turn asked again with a note.
    assert.match(JSON.stringify(requests[6]?.body?.messages.at(-1)), /cut at the output limit/);
    assert.match(results[9]?.[0]?.text ?? '', /Validation passes/);

    // Nothing secret in any outgoing body, nor anywhere in history; no file content in history.
    for (const r of fake.requests) {
      for (const v of [PLANTED.password, PLANTED.token, PLANTED_TOKEN_B64, API_KEY]) assert.ok(!r.rawBody.includes(v), `${v} left in a request to ${r.url}`);
    }
    for (const v of [PLANTED.password, PLANTED.token, PLANTED_TOKEN_B64, API_KEY, WRITTEN_MARK, 'readinessProbe', 'Production: 3 replicas']) assert.ok(!history.includes(v), `history holds ${v}`);
    const largest = Math.max(...events.map((e) => JSON.stringify(e).length));
    assert.ok(largest < 64 * 1024, `the largest history event is ${largest} bytes`);

    // Every reply served is counted, the cut one included.
    const { calls, inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens } = report.llmUsage;
    assert.deepEqual({ calls, inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens }, sumServed(fake));
    assert.ok(cacheReadTokens > inputTokens, 'after the first turn, each turn reads its prefix from the cache');
    assert.deepEqual(report.agent, { turns: 9, toolCalls: 12 });
  });

  // 3 s rather than 2: the LLM retry policy's own first interval is 2 s, so only a wait beyond it
  // proves that retry-after was honoured.
  it('a 429 with retry-after is retried by Temporal after that delay; a rejected key (401) fails the run after one request', async () => {
    fake.enqueue(rateLimited('3'), turn(['Finish', { summary: 'nothing to do', assumptions: [], dependencies: [] }]));
    const { infraRoot } = await agentRepo();
    const limited = await run('agent-429', agentInput(infraRoot));
    const [first, second] = fake.messageRequests();
    assert.ok(first && second);
    assert.ok(second.at - first.at >= 3000, `second request ${second.at - first.at} ms after the first`);
    assert.match(limited.history, /AnthropicRateLimited/, 'the first attempt\'s failure is recorded');
    assert.equal(limited.report.llmUsage.calls, 1, 'a refused request costs nothing');

    await fake.close();
    fake = await startFakeAnthropic();
    fake.enqueue(unauthorized());
    const repo = await agentRepo();
    const started = Date.now();
    const { report, history } = await run('agent-401', agentInput(repo.infraRoot));
    assert.equal(report.status, 'failed');
    assert.match(report.summary, /ANTHROPIC_API_KEY was rejected/);
    assert.equal(fake.messageRequests().length, 1, 'no retry: the SDK\'s are off and the failure is non-retryable');
    assert.ok(Date.now() - started < 15_000);
    assert.equal(await gitStatus(repo.repo), '');
    assert.ok(!history.includes(API_KEY));
  });

  it('the run validates after Finish: its failures open the next attempt of the same conversation, and what fixed it is learned for the next run', async () => {
    const broken = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: catalog\nspec: [replicas: 3\n';
    fake.enqueue(
      turn(['Write', { file_path: 'apps/production/replicas.yaml', content: broken }]),
      turn(['Finish', { summary: 'wrote the patch', assumptions: [], dependencies: [] }]),
      turn(['Write', { file_path: 'apps/production/replicas.yaml', content: REPLICAS_PATCH }]),
      turn(['Finish', { summary: 'fixed the patch', assumptions: [], dependencies: [] }]),
    );
    const { repo, infraRoot } = await agentRepo();
    const { report } = await run('agent-fix', { ...agentInput(infraRoot), reposRoot: repo });
    assert.equal(report.status, 'succeeded', report.summary);
    assert.equal(report.attempts, 2);
    const requests = fake.messageRequests();
    assert.equal(requests.length, 4);
    const opening = JSON.stringify(requests[2]?.body?.messages.at(-1));
    assert.match(opening, /The run validated your change \(attempt 1\) and it does not pass yet/);
    assert.match(opening, /replicas\.yaml/, 'the exact validator output names the file');
    assert.equal(requests[2]?.body?.messages.length, 5, 'the same conversation goes on');
    const learned = await readLearnedPatterns(repo);
    assert.equal(learned.length, 1);
    assert.match(learned[0]?.fixed ?? '', /write apps\/production\/replicas\.yaml/);

    await fake.close();
    fake = await startFakeAnthropic();
    fake.enqueue(turn(['Finish', { summary: 'nothing left', assumptions: [], dependencies: [] }]));
    await run('agent-next', { ...agentInput(infraRoot), reposRoot: repo });
    const system = JSON.stringify(fake.messageRequests()[0]?.body?.system);
    assert.ok(system.includes(LEARNED_PATTERNS_FILE) && system.includes(learned[0]?.id ?? 'missing'), 'the lesson is in the next run\'s prompt');
  });

  it('AskUserQuestion waits for a human; the answer given with `infra-implementor answer` reaches the model as the tool result', async () => {
    fake.enqueue(
      turn(['AskUserQuestion', { question: 'How many replicas should production run?', options: ['3, as the overlay comment says', '5'] }]),
      turn(['Finish', { summary: 'asked', assumptions: [], dependencies: [] }]),
    );
    const { infraRoot } = await agentRepo();
    const env = { TEMPORAL_ADDRESS: server.env.connection.options.address ?? '', ANTHROPIC_API_KEY: '' };
    const { report } = await run('agent-ask', agentInput(infraRoot), async (handle) => {
      const status = await until('the agent\'s question', async () => (await handle.query(statusQuery)).pending);
      assert.equal(status.kind, 'agent');
      assert.match(status.question, /The agent asks: How many replicas should production run\?\n {2}1\. 3, as the overlay comment says\n {2}2\. 5/);
      const shown = await execa('node', [BIN, 'status', handle.workflowId], { env, reject: false });
      assert.match(String(shown.stdout), /agent +1 turn\(s\), 1 tool call\(s\), 0 file\(s\) read\n {2}last +AskUserQuestion/);
      const answered = await execa('node', [BIN, 'answer', handle.workflowId, '--question', status.id, '--action', 'retry', '--guidance', '2'], { env: { ...env, TEMPORAL_TASK_QUEUE: 'unused' }, reject: false });
      assert.equal(answered.exitCode, 0, String(answered.stderr));
    });
    assert.equal(report.status, 'succeeded', report.summary);
    const result = toolResults(fake.messageRequests()[1]?.body)[0];
    assert.equal(result?.text, 'The human answered: 5 (option 2)');
    assert.deepEqual(report.audit.map((a) => [a.kind, a.answer?.action, a.answer?.guidance]), [['agent', 'retry', '2']]);
  });

  it('the turn cap of an attempt ends in a question, not a silent failure; accept validates what the agent wrote', async () => {
    const loop: Scripted[] = Array.from({ length: 3 }, () => turn(['Glob', { pattern: '**/*.yaml' }]));
    fake.enqueue(turn(['Write', { file_path: 'apps/production/replicas.yaml', content: REPLICAS_PATCH }]), ...loop);
    const { infraRoot } = await agentRepo();
    const { report } = await run('agent-cap', agentInput(infraRoot, { maxTurns: 3 }), async (handle) => {
      const q = await until('the turn-cap question', async () => (await handle.query(statusQuery)).pending);
      assert.equal(q.kind, 'turns');
      assert.match(q.question, /has taken 3 turns in this attempt without finishing/);
      assert.equal(fake.messageRequests().length, 3);
      await handle.signal('answer', { action: 'accept', question: q.id });
    });
    assert.equal(report.status, 'succeeded', report.summary);
    assert.deepEqual(report.filesCreated, ['apps/production/replicas.yaml']);
    assert.equal(fake.messageRequests().length, 3, 'no turn after the cap');
  });

  it('a reply cut twice in a row ends the attempt, counted; after the last attempt a human\'s guidance reaches the model', async () => {
    const cut = (): Scripted => ({ kind: 'turn', calls: [{ name: 'Write', json: '{"file_path": "apps/production/replicas.yaml", "content": "apiV' }], stopReason: 'max_tokens' });
    fake.enqueue(
      cut(), cut(),
      turn(['Write', { file_path: 'apps/production/replicas.yaml', content: REPLICAS_PATCH }]),
      turn(['Finish', { summary: 'wrote the patch', assumptions: [], dependencies: [] }]),
    );
    const { infraRoot } = await agentRepo();
    const { report } = await run('agent-cut-twice', agentInput(infraRoot, { maxAttempts: 1 }), async (handle) => {
      const q = await until('the validation question', async () => (await handle.query(statusQuery)).pending);
      assert.equal(q.kind, 'validation');
      assert.match(q.tried.join('\n'), /cut at max_tokens twice in a row/);
      await handle.executeUpdate('answer', { args: [{ action: 'retry', question: q.id, guidance: 'Write replicas.yaml in one short Write.' }] });
    });
    assert.equal(report.status, 'succeeded', report.summary);
    const requests = fake.messageRequests();
    assert.equal(requests.length, 4);
    assert.match(JSON.stringify(requests[1]?.body?.messages.at(-1)), /cut at the output limit/);
    assert.match(JSON.stringify(requests[2]?.body?.messages.at(-1)), /Guidance from a human[^"]*\\nWrite replicas\.yaml in one short Write\./);
    assert.equal(report.llmUsage.calls, 4, 'both cut replies are counted');
  });
});
