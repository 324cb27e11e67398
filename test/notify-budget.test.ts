// People are told when a run needs them (a JSON POST to INFRA_IMPLEMENTOR_NOTIFY_URL: asked, a
// reminder before the deadline, answered), and a run with a budget asks before the LLM call that
// would pass it. Real dev server, a real HTTP endpoint on 127.0.0.1, the real Anthropic SDK against
// the local Messages API.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { parsePriceTable } from '../core/pricing';
import { ImplementorInput, type ImplementorReport } from '../core/schemas';
import type { NotifyEvent } from '../runtime/notify';
import { configureInstrumentation } from '../runtime/telemetry';
import { answerUpdate, IMPLEMENTOR_WORKFLOW, statusQuery } from '../workflows/messages';
import { loadConfig } from '../worker/config';
import { workerImplementers } from '../worker/implementers';
import { startFakeAnthropic, toolReply, type FakeAnthropic } from './helpers/fake-anthropic';
import { scriptedImplementer, write } from './helpers/implementers';
import { phases } from './helpers/orders-replies';
import { EXAMPLES, gitCopy, gitStatus } from './helpers/repo';
import { startTestServer, type TestServer } from './helpers/temporal';

type Implementor = (i: ImplementorInput) => Promise<ImplementorReport>;

/** An HTTP endpoint that records what it receives; the first `failFirst` posts get a 500. */
async function endpoint(failFirst = 0) {
  const received: { text: string; infraImplementor: NotifyEvent; at: number }[] = [];
  let posts = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      posts++;
      if (posts <= failFirst) {
        res.writeHead(500).end('try again');
        return;
      }
      received.push({ ...JSON.parse(body), at: Date.now() });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, posts: () => posts, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, tries = 300): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('notifications and the budget', () => {
  let server: TestServer;
  before(async () => { server = await startTestServer(); });
  after(async () => { await server?.stop(); });

  it('a question is announced when asked, reminded before its deadline and announced when answered, through a failing endpoint\'s retries', async () => {
    const hook = await endpoint(1);
    try {
      const repo = await gitCopy(EXAMPLES);
      const impl = scriptedImplementer({ phases: { config: write('apps/base/catalog/extra.yaml', 'a: [1, 2\n') } });
      const { worker, taskQueue } = await server.worker({ implementers: { scripted: () => impl }, notifyUrl: hook.url });
      const input = ImplementorInput.parse({
        featureDescription: 'test', scope: 'extra config', infraRoot: path.join(repo, 'infra'), implementer: 'scripted',
        options: { maxAttempts: 1, humanDeadline: '12s', reminders: ['8s'] },
      });
      const report = await worker.runUntil(async () => {
        const handle = await server.env.client.workflow.start(IMPLEMENTOR_WORKFLOW, { taskQueue, workflowId: `notify-${Date.now()}`, args: [input] }) as WorkflowHandle<Implementor>;
        const asked = await until('the question', async () => (await handle.query(statusQuery)).pending);
        await until('the reminder', () => hook.received.find((r) => r.infraImplementor.kind === 'reminder'));
        await handle.executeUpdate(answerUpdate, { args: [{ action: 'abort', question: asked.id, by: 'carol@test' }] });
        return handle.result();
      });
      assert.equal(report.status, 'aborted');
      await until('the answered notice', () => hook.received.find((r) => r.infraImplementor.kind === 'answered'));
      assert.deepEqual(hook.received.map((r) => r.infraImplementor.kind), ['asked', 'reminder', 'answered']);
      assert.ok(hook.posts() >= 4, 'the first post failed and was retried');
      const [asked, reminder, answered] = hook.received;
      assert.match(asked?.text ?? '', /\*extra config\* needs a human: Validation still fails after 1 attempt/);
      assert.match(asked?.text ?? '', /infra-implementor answer notify-\d+ --question q1 --action retry\|accept\|abort/);
      assert.equal(asked?.infraImplementor.question.id, 'q1');
      const deadline = Date.parse(asked?.infraImplementor.question.deadline ?? '');
      assert.ok(Math.abs((reminder?.at ?? 0) - (deadline - 8000)) < 3000, 'the reminder came about 8 s before the deadline');
      assert.match(answered?.text ?? '', /q1 answered abort by carol@test/);
    } finally {
      await hook.close();
    }
  });

  describe('the budget', () => {
    let fake: FakeAnthropic;
    before(async () => { fake = await startFakeAnthropic(); });
    after(async () => { await fake?.close(); });

    it('with calls of $0.10 and a $0.25 budget, the run asks before the 3rd call; abort restores the repository and no 3rd call is made', async () => {
      // 100 000 input tokens at $1 per million: $0.10 a call, by a price table of the worker's own.
      const usage = { input_tokens: 100_000, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
      fake.enqueue(...phases().map((c) => toolReply(c, { usage })));
      const config = loadConfig({
        ANTHROPIC_API_KEY: 'sk-ant-budget-test', ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_MODEL: 'claude-budget-test',
        INFRA_IMPLEMENTOR_LLM_PRICES: JSON.stringify({ 'claude-budget-test': { input: 1, output: 1, cacheRead: 1, cacheWrite: 1 } }),
      });
      // What the worker does at start-up with INFRA_IMPLEMENTOR_LLM_PRICES (this test's worker runs in-process).
      configureInstrumentation({ prices: config.INFRA_IMPLEMENTOR_LLM_PRICES ?? parsePriceTable('{}') });
      const repo = await gitCopy(EXAMPLES);
      const { worker, taskQueue } = await server.worker({ implementers: workerImplementers(config) });
      const input = ImplementorInput.parse({
        featureDescription: 'Add the orders service', scope: 'orders service', infraRoot: path.join(repo, 'infra'), implementer: 'anthropic',
        options: { budgetUsd: 0.25 },
      });
      const report = await worker.runUntil(async () => {
        const handle = await server.env.client.workflow.start(IMPLEMENTOR_WORKFLOW, { taskQueue, workflowId: `budget-${Date.now()}`, args: [input] }) as WorkflowHandle<Implementor>;
        const status = await until('the budget question', async () => { const s = await handle.query(statusQuery); return s.pending ? s : undefined; });
        assert.equal(status.pending?.kind, 'budget');
        assert.match(status.pending?.question ?? '', /would pass its budget \(\$0\.2000 spent of \$0\.2500, and one proposal has cost up to \$0\.1000\)/);
        assert.equal(fake.messageRequests().length, 2, 'asked before the 3rd call');
        assert.equal(status.usage?.costUsd?.toFixed(4), '0.2000', 'the cost is live in status');
        await assert.rejects(
          handle.executeUpdate(answerUpdate, { args: [{ action: 'retry', budgetUsd: 0.26 }] }),
          (e: Error) => /give --budget-usd above \$0\.3000/.test(String((e.cause as Error | undefined)?.message)),
        );
        await handle.executeUpdate(answerUpdate, { args: [{ action: 'abort' }] });
        return handle.result();
      });
      assert.equal(report.status, 'aborted');
      assert.match(report.summary, /A human stopped the spending at the budget/);
      assert.equal(fake.messageRequests().length, 2, 'no call after the question');
      assert.equal(report.llmUsage.costUsd?.toFixed(4), '0.2000');
      assert.deepEqual(Object.keys(report.llmUsage.byModel ?? {}), ['claude-budget-test']);
      assert.equal(await gitStatus(repo), '', 'abort restored the repository');
    });
  });
});
