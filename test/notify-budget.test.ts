// People are told when a run needs them (a JSON POST to INFRA_IMPLEMENTOR_NOTIFY_URL: asked, a
// reminder before the deadline, answered), and a run with a budget asks before the LLM call that
// would pass it. Real dev server, a real HTTP endpoint on 127.0.0.1, the real Anthropic SDK against
// the local Messages API.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { parsePriceTable } from '../core/pricing';
import { ImplementorInput, type ImplementorReport } from '../core/schemas';
import type { NotifyEvent } from '../runtime/notify';
import { configureInstrumentation } from '../runtime/telemetry';
import { answerUpdate, featureAnswerUpdate, featureStatusQuery, IMPLEMENTOR_WORKFLOW, statusQuery } from '../workflows/messages';
import { loadConfig } from '../worker/config';
import { workerImplementers } from '../worker/implementers';
import { startFakeAnthropic, turn, type FakeAnthropic } from './helpers/fake-anthropic';
import { ImplementorClient } from '../client/client';
import { featureInput } from '../client/inputs';
import type { FeatureInput, FeatureReport } from '../core/feature';
import { agentInput, agentRepo, explorationScript, perScope } from './helpers/agent-script';
import { scriptedImplementer, write } from './helpers/implementers';
import { EXAMPLES, gitCopy, gitStatus, specFile } from './helpers/repo';
import { startTestServer, type TestServer } from './helpers/temporal';
import { until } from './helpers/until';

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

  describe('the budget, before every call', () => {
    let fake: FakeAnthropic;
    before(async () => { fake = await startFakeAnthropic(); });
    after(async () => { await fake?.close(); });
    // $1 per million tokens of every kind, by a price table of the worker's own: a call's estimate is
    // its prompt plus a full reply (16 384 tokens), about $0.02; what it really costs is near $0.004.
    const config = () => loadConfig({
      ANTHROPIC_API_KEY: 'sk-ant-budget-test', ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_MODEL: 'claude-budget-test',
      INFRA_IMPLEMENTOR_LLM_PRICES: JSON.stringify({ 'claude-budget-test': { input: 1, output: 1, cacheRead: 1, cacheWrite: 1 } }),
    });
    const figures = (q: string) => {
      const m = /\(\$([\d.]+) spent of \$([\d.]+), and the next call may cost up to \$([\d.]+)\)/.exec(q);
      assert.ok(m, q);
      return { spent: Number(m[1]), limit: Number(m[2]), next: Number(m[3]) };
    };
    async function budgetRun(budgetUsd: number, during: (h: WorkflowHandle<Implementor>) => Promise<void>) {
      const cfg = config();
      // What the worker does at start-up with INFRA_IMPLEMENTOR_LLM_PRICES (this test's worker runs in-process).
      configureInstrumentation({ prices: cfg.INFRA_IMPLEMENTOR_LLM_PRICES ?? parsePriceTable('{}') });
      const { repo, infraRoot } = await agentRepo();
      const { worker, taskQueue } = await server.worker(workerImplementers(cfg));
      const report = await worker.runUntil(async () => {
        const handle = await server.env.client.workflow.start(IMPLEMENTOR_WORKFLOW, { taskQueue, workflowId: `budget-${Date.now()}`, args: [agentInput(infraRoot, { budgetUsd })] }) as WorkflowHandle<Implementor>;
        await during(handle);
        return handle.result();
      });
      return { report, repo };
    }

    it('the first call of a run is priced too: below its estimate, the run asks before any call; abort leaves the repository as it was', async () => {
      fake.enqueue(...explorationScript());
      const { report, repo } = await budgetRun(0.0001, async (handle) => {
        const status = await until('the budget question', async () => { const s = await handle.query(statusQuery); return s.pending ? s : undefined; });
        assert.equal(status.pending?.kind, 'budget');
        const f = figures(status.pending?.question ?? '');
        assert.deepEqual([f.spent, f.limit], [0, 0.0001]);
        assert.ok(f.next > 0.016, 'a full reply at the output price is in the estimate');
        assert.equal(fake.messageRequests().length, 0, 'no call made');
        assert.ok(fake.countRequests().length >= 1, 'the prompt was counted by the API');
        await assert.rejects(
          handle.executeUpdate(answerUpdate, { args: [{ action: 'retry', budgetUsd: 0.00015 }] }),
          (e: Error) => /give --budget-usd above \$0\.0\d+/.test(String((e.cause as Error | undefined)?.message)),
        );
        await handle.executeUpdate(answerUpdate, { args: [{ action: 'abort' }] });
      });
      assert.equal(report.status, 'aborted');
      assert.match(report.summary, /A human stopped the spending at the budget/);
      assert.equal(report.llmUsage.calls, 0);
      assert.equal(await gitStatus(repo), '', 'nothing written');
    });

    it('mid-run, the call that would pass the budget is asked about before it is made; a raised budget lets the run finish, and the cost is every reply served', async () => {
      await fake.close();
      fake = await startFakeAnthropic();
      fake.enqueue(...explorationScript());
      const { report } = await budgetRun(0.03, async (handle) => {
        const status = await until('the budget question', async () => { const s = await handle.query(statusQuery); return s.pending ? s : undefined; });
        const f = figures(status.pending?.question ?? '');
        assert.ok(f.spent <= 0.03 && f.spent + f.next > 0.03, `${f.spent} + ${f.next} passes 0.03`);
        assert.equal(status.usage?.costUsd?.toFixed(4), f.spent.toFixed(4), 'the cost is live in status');
        assert.ok(fake.messageRequests().length >= 2, 'some calls fitted');
        await handle.executeUpdate(answerUpdate, { args: [{ action: 'retry', budgetUsd: 1 }] });
      });
      assert.equal(report.status, 'succeeded', report.summary);
      const served = fake.messageRequests().flatMap((r) => (r.usage ? [r.usage] : []));
      const priced = served.reduce((n, u) => n + (u.input_tokens + u.output_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens) / 1e6, 0);
      assert.equal(report.llmUsage.costUsd?.toFixed(6), priced.toFixed(6));
      assert.deepEqual(report.audit.map((a) => [a.kind, a.answer?.action]), [['budget', 'retry']]);
    });
  
    it('a feature\'s scopes draw from one pool: the feature asks once when the pool is spent, and its answer stops every scope', async () => {
      await fake.close();
      const note = (env: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${env}-note\ndata:\n  note: "${env}"\n`;
      const script = (env: string) => [
        turn(['Glob', { pattern: `apps/${env}/*` }]),
        turn(['Write', { file_path: `apps/${env}/note.yaml`, content: note(env) }]),
        turn(['Read', { file_path: `apps/${env}/note.yaml` }]),
        turn(['Finish', { summary: 'noted', assumptions: [], dependencies: [] }]),
      ];
      fake = await startFakeAnthropic({ respond: perScope({ 'staging note': script('staging'), 'production note': script('production') }) });
      const cfg = config();
      configureInstrumentation({ prices: cfg.INFRA_IMPLEMENTOR_LLM_PRICES ?? parsePriceTable('{}') });
      const infraRoot = path.join(await gitCopy(EXAMPLES), 'infra');
      const spec = specFile({ feature: 'Notes per environment', infraRoot, implementer: 'anthropic', scopes: [{ scope: 'staging note' }, { scope: 'production note' }] });
      // Four calls of either scope fit (about $0.02 each estimated, $0.004 spent), not all eight.
      const input = featureInput({ spec, budgetUsd: '0.05' }, { ANTHROPIC_API_KEY: 'set' });
      const { workers, taskQueue } = await server.workers(workerImplementers(cfg));
      const client = new ImplementorClient(server.env.client, taskQueue);
      const report = await workers.runUntil(async () => {
        const id = await client.startFeature(input);
        const handle = server.env.client.workflow.getHandle(id) as WorkflowHandle<(i: FeatureInput) => Promise<FeatureReport>>;
        const status = await until('the feature\'s budget question', async () => { const s = await handle.query(featureStatusQuery); return s.pending ? s : undefined; });
        assert.equal(status.pending?.kind, 'budget');
        assert.match(status.pending?.question ?? '', /The feature's LLM budget would be passed \(\$[\d.]+ spent or granted of the feature's \$0\.0500, and the next call of "(staging|production) note" may cost up to \$[\d.]+\)/);
        const spent = status.usage?.costUsd ?? 0;
        assert.ok(spent <= 0.05, `the scopes spent ${spent} of 0.05`);
        assert.ok(fake.messageRequests().length < 8, 'not every call was made');
        assert.deepEqual(status.questions.map((q) => q.id), [status.pending?.id], 'one question for the whole feature');
        await handle.executeUpdate(featureAnswerUpdate, { args: [{ action: 'accept', question: status.pending?.id }] });
        return handle.result();
      });
      assert.ok(report.llmUsage.costUsd !== undefined && report.llmUsage.costUsd <= 0.05, `the feature spent ${report.llmUsage.costUsd}`);
      // The scope whose call did not fit stopped there (accepted); the other may have finished before.
      assert.ok(report.children.some((c) => c.status === 'accepted'));
      assert.ok(report.children.every((c) => c.status === 'accepted' || c.status === 'succeeded'), JSON.stringify(report.children));
      assert.equal(report.status === 'accepted' || report.status === 'partial' || report.status === 'succeeded', true, report.summary);
      assert.equal(report.llmUsage.calls, fake.messageRequests().length, 'every reply served is counted');
      assert.deepEqual(report.audit.map((a) => [a.kind, a.answer?.action]), [['budget', 'accept']]);
    });
  });
});
