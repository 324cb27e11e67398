// Observability of real runs on a real dev server: a two-scope feature (one scope by the scaffold
// implementer, one by the anthropic implementer against the local Messages API) is traced into a
// real OTLP/HTTP receiver as one tree, moves the metrics a Prometheus scraper reads from the worker's
// endpoint, and writes log lines that carry the run's ids; no span and no log line carries the
// prompt, a file's content, the API key or a Secret's value. A run that escalates moves the human
// metrics. Set TELEMETRY_SHOW=1 to print the trace tree and the metrics that moved.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { ImplementorClient } from '../client/client';
import { featureInput } from '../client/inputs';
import { clientInterceptors } from '../client/telemetry';
import { childWorkflowId, type FeatureReport } from '../core/feature';
import { ImplementorInput, ServiceSpec, type ImplementorReport } from '../core/schemas';
import { METRIC } from '../core/telemetry';
import { configureInstrumentation } from '../runtime/telemetry';
import { loadConfig } from '../worker/config';
import { workerImplementers } from '../worker/implementers';
import { installRuntime } from '../worker/runtime';
import { startTracing, type Tracing } from '../worker/telemetry/tracing';
import { answerUpdate, IMPLEMENTOR_WORKFLOW, statusQuery } from '../workflows/messages';
import { TRACE_HEADER } from '../workflows/tracing';
import { startFakeAnthropic, type FakeAnthropic, type ScriptedCall, type ScriptedReply } from './helpers/fake-anthropic';
import { scriptedImplementer, write } from './helpers/implementers';
import { freePort } from './helpers/net';
import { baseKustomization, phases } from './helpers/orders-replies';
import { renderTree, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './helpers/otlp-receiver';
import { scrape, type Scrape } from './helpers/prometheus';
import { EXAMPLES, git, gitCopy, specFile } from './helpers/repo';
import { startTestServer, type TestServer } from './helpers/temporal';

// What must never leave in a span or a log line; each is shown to reach where it legitimately goes.
const API_KEY = 'sk-ant-telemetry-0123456789abcdef-secret';
const PROMPT_MARK = 'PROMPTMARK-5e1d';
const CONTENT_MARK = 'CONTENTMARK-9a7c';
const SECRET_MARK = 'SECRETMARK-3b2f';
const FEATURE = `Add the orders and payments services for the shop, with their configuration (ref ${PROMPT_MARK})`;
const MODEL = 'claude-telemetry-test';
const USAGE = { input_tokens: 1000, output_tokens: 200, cache_read_input_tokens: 500, cache_creation_input_tokens: 100 };
// USD per million tokens: one call costs (1000·2 + 200·10 + 500·0.2 + 100·2.5) / 1e6 = 0.00435.
const PRICES = { [MODEL]: { input: 2, output: 10, cacheRead: 0.2, cacheWrite: 2.5 } };
const CALL_COST = 0.00435;

const configMap = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: orders-settings\ndata:\n  note: "${CONTENT_MARK}"\n`;
// A plaintext Secret is a compliance error that fails the attempt (the fix would be asked for): this
// one says why it is left in plain text, as people silence a check, so that the run goes through.
const secret = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: orders-db\n  annotations:\n    infra-implementor.io/ignore-check.plaintext-secret: "telemetry test: the value is the marker the spans must not carry"\nstringData:\n  DATABASE_URL: "postgres://orders:${SECRET_MARK}@db:5432/orders"\n`;

/** The anthropic scope's agent: the orders service in four turns of writes (a ConfigMap and a Secret among them), then Finish. */
function ordersReplies(): ScriptedReply[] {
  const [base, overlays, , network] = phases(baseKustomization(['deployment.yaml', 'settings.yaml', 'db-secret.yaml', 'service.yaml']));
  const writes = (ops: { path: string; content?: string }[] = []): ScriptedCall[] => ops.map((o) => ({ name: 'Write', input: { file_path: o.path, content: o.content } }));
  return [
    writes(base?.operations), writes(overlays?.operations),
    writes([{ path: 'apps/base/orders/settings.yaml', content: configMap }, { path: 'apps/base/orders/db-secret.yaml', content: secret }]),
    writes(network?.operations),
    [{ name: 'Finish', input: { summary: 'the orders service', assumptions: [], dependencies: ['ghcr.io/acme/orders:1.4.2'] } }],
  ].map((calls) => ({ kind: 'turn' as const, calls, usage: USAGE }));
}

const byName = (spans: ReceivedSpan[], name: string) => spans.filter((s) => s.name === name);
const parentOf = (spans: ReceivedSpan[], s: ReceivedSpan) => spans.find((p) => p.spanId === s.parentSpanId);
const ancestors = (spans: ReceivedSpan[], s: ReceivedSpan): ReceivedSpan[] => {
  const up: ReceivedSpan[] = [];
  for (let p = parentOf(spans, s); p; p = parentOf(spans, p)) up.push(p);
  return up;
};

describe('observability of a two-scope feature', () => {
  const logs: string[] = [];
  let metricsUrl: string;
  let receiver: OtlpReceiver;
  let tracing: Tracing;
  let server: TestServer;
  let fake: FakeAnthropic;
  let client: ImplementorClient;
  let before0: Scrape;
  let after1: Scrape;
  let report: FeatureReport;
  let repo: string;

  before(async () => {
    // Installed before the test server's own (a no-op once one is installed): our log lines and the endpoint.
    const metricsPort = await freePort();
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    installRuntime({ level: 'INFO', format: 'json', metricsPort, metricsHost: '127.0.0.1', write: (line) => logs.push(line) });
    receiver = await startOtlpReceiver();
    tracing = startTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }) as Tracing;
    assert.ok(tracing, 'tracing is on with an endpoint');
    configureInstrumentation({ prices: PRICES });
    [server, fake] = await Promise.all([startTestServer(), startFakeAnthropic()]);
    before0 = await scrape(metricsUrl);

    repo = await gitCopy(EXAMPLES);
    const infraRoot = path.join(repo, 'infra');
    const env = { ANTHROPIC_API_KEY: API_KEY, ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_MODEL: MODEL };
    const input = featureInput({
      spec: specFile({
        feature: FEATURE, infraRoot,
        scopes: [
          { scope: 'orders service', implementer: 'anthropic' },
          { scope: 'payments service', spec: { service: 'payments', image: 'ghcr.io/acme/payments:2.0.0', port: 9090, secrets: ['DATABASE_URL'] } },
        ],
      }),
    }, env);
    fake.enqueue(...ordersReplies());
    const { workers, taskQueue } = await server.workers(workerImplementers(loadConfig(env)));
    // The client traces the start: the feature's trace begins here.
    client = new ImplementorClient(new Client({ connection: server.env.connection, namespace: 'default', interceptors: clientInterceptors() }), taskQueue);
    report = await workers.runUntil(async () => client.result<FeatureReport>(await client.startFeature(input)));
    await tracing.forceFlush();
    after1 = await scrape(metricsUrl);
  });

  after(async () => {
    await tracing?.shutdown();
    await Promise.all([server?.stop(), fake?.close(), receiver?.close()]);
  });

  it('the feature succeeds, and the markers did reach the model and the repository (so their absence below means something)', async () => {
    assert.equal(report.status, 'succeeded', `${report.summary} ${JSON.stringify(report.children.map((c) => [c.scope, c.status, c.summary]))}`);
    const requests = fake.messageRequests();
    assert.equal(requests.length, 5);
    assert.ok(requests.every((r) => r.headers.authorization === `Bearer ${API_KEY}` && r.rawBody.includes(PROMPT_MARK)), 'the key and the prompt went to the model');
    const committed = await git(repo, 'show', `${report.branch}:infra/apps/base/orders/settings.yaml`);
    assert.match(committed, new RegExp(CONTENT_MARK));
    assert.match(readFileSync(path.join(repo, 'infra/apps/base/catalog/deployment.yaml'), 'utf8'), /catalog/);
  });

  it('one trace from the client\'s start: feature → phase → child → phase → activity → LLM call / validator command', () => {
    const spans = receiver.spans;
    const feature = report.workflowId;
    const [root, ...otherRoots] = spans.filter((s) => !s.parentSpanId);
    assert.deepEqual(otherRoots.map((s) => s.name), [], 'a single root');
    assert.equal(root?.name, 'StartWorkflow:featureImplementor');
    assert.equal(root?.attributes.temporalWorkflowId, feature);
    assert.deepEqual([...new Set(spans.map((s) => s.traceId))], [root?.traceId], 'every span is in the one trace');

    const [run] = byName(spans, 'RunWorkflow:featureImplementor');
    assert.equal(run && parentOf(spans, run), root);
    assert.equal(run?.attributes.workflowId, feature);
    assert.equal(run?.attributes['infra_implementor.outcome'], 'succeeded');
    const featurePhases = spans.filter((s) => s.parentSpanId === run?.spanId && s.name.startsWith('phase ')).map((s) => s.name);
    assert.deepEqual(featurePhases, ['phase workspace', 'phase implementing', 'phase merging', 'phase validating', 'phase committing']);

    const children = byName(spans, 'RunWorkflow:infrastructureImplementor');
    assert.deepEqual(children.map((c) => c.attributes.workflowId).sort(), ['orders-service', 'payments'].map((s) => childWorkflowId(feature, s)).sort());
    for (const child of children) {
      assert.deepEqual(ancestors(spans, child).map((s) => s.name).slice(0, 3),
        ['StartChildWorkflow:infrastructureImplementor', 'phase implementing', 'RunWorkflow:featureImplementor'], 'a child hangs under the phase that started it');
      assert.equal(child.attributes.parentWorkflowId, feature);
      assert.equal(child.attributes['infra_implementor.outcome'], 'succeeded');
      assert.equal(child.attributes['infra_implementor.attempts'], 1);
      const childPhases = spans.filter((s) => s.parentSpanId === child.spanId && s.name.startsWith('phase ')).map((s) => s.name);
      // The agent works in one phase; the scaffold plans the five itself.
      const implemented = child.attributes.workflowId === childWorkflowId(feature, 'orders-service') ? ['phase implement:agent'] : ['base', 'overlay', 'config', 'network', 'gitops'].map((p) => `phase implement:${p}`);
      assert.deepEqual(childPhases, ['phase patterns', ...implemented, 'phase validate', 'phase compliance']);
    }

    const llm = byName(spans, `llm ${MODEL}`);
    assert.equal(llm.length, 5, 'one span per Messages API call');
    for (const call of llm) {
      const up = ancestors(spans, call);
      // Each model turn is an activity of its own, on the worker holding the workspace.
      assert.deepEqual(up.slice(0, 2).map((s) => s.name), ['RunActivity:agentTurn', 'StartActivity:agentTurn']);
      assert.equal(up[2]?.name, 'phase implement:agent');
      assert.equal(up[3]?.attributes.workflowId, childWorkflowId(feature, 'orders-service'));
      assert.equal(up[0]?.attributes['infra_implementor.parent_id'], feature);
      assert.deepEqual({
        model: call.attributes['gen_ai.request.model'], input: call.attributes['gen_ai.usage.input_tokens'], output: call.attributes['gen_ai.usage.output_tokens'],
        cacheRead: call.attributes['gen_ai.usage.cache_read.input_tokens'], cacheWrite: call.attributes['gen_ai.usage.cache_write.input_tokens'],
      }, { model: MODEL, input: 1600, output: 200, cacheRead: 500, cacheWrite: 100 }, 'input counts cached tokens too, as the conventions say');
      assert.ok(Math.abs(Number(call.attributes['infra_implementor.llm.cost_usd']) - CALL_COST) < 1e-9);
    }

    const builds = byName(spans, 'kustomize build');
    assert.ok(builds.length > 0, 'validator commands are traced');
    for (const b of builds) {
      const activity = ancestors(spans, b).find((s) => s.name.startsWith('RunActivity:'));
      assert.match(activity?.name ?? '', /^RunActivity:(validateChanges|validateTree)$/);
      assert.equal(b.attributes['process.exit_code'], 0);
      assert.match(String(b.attributes['infra_implementor.validator.target']), /^[\w.-]+(\/[\w.-]+)*$/, 'a path relative to the repository');
    }
    if (process.env.TELEMETRY_SHOW) {
      process.stderr.write(`\n${renderTree(spans.filter((s) => !s.name.startsWith('HandleSignal:')), (s) => {
        const keep = ['gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens', 'infra_implementor.llm.cost_usd', 'infra_implementor.outcome', 'infra_implementor.validator.target', 'process.exit_code'];
        const shown = keep.filter((k) => s.attributes[k] !== undefined).map((k) => `${k.split('.').at(-1)}=${s.attributes[k]}`);
        return [`${s.end - s.start}ms`, ...shown].join(' ');
      })}\n`);
    }
  });

  it('no span and no log line carries the prompt, a file\'s content, the API key or a Secret\'s value', () => {
    assert.ok(receiver.bodies.length > 0 && logs.length > 0);
    const exported = Buffer.concat(receiver.bodies).toString('latin1');
    const logged = logs.join('');
    for (const mark of [API_KEY, PROMPT_MARK, CONTENT_MARK, SECRET_MARK, 'apiVersion:']) {
      assert.ok(!exported.includes(mark), `a span carries ${mark}`);
      assert.ok(!logged.includes(mark), `a log line carries ${mark}`);
    }
    for (const s of receiver.spans) {
      assert.ok(!('memo' in s.attributes) && !('searchAttributes' in s.attributes), `${s.name} carries the run's memo`);
    }
  });

  it('log lines are JSON and carry workflowId, parentId, scope and phase', () => {
    const lines = logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const orders = childWorkflowId(report.workflowId, 'orders-service');
    const ofOrders = lines.filter((l) => l.workflowId === orders);
    const phaseLine = ofOrders.find((l) => l.msg === 'phase validate');
    assert.deepEqual(phaseLine && { level: phaseLine.level, parentId: phaseLine.parentId, scope: phaseLine.scope, phase: phaseLine.phase },
      { level: 'info', parentId: report.workflowId, scope: 'orders service', phase: 'validate' });
    const llmLines = ofOrders.filter((l) => l.msg === 'llm call');
    assert.equal(llmLines.length, 5, 'one line per LLM call, from inside the activity');
    // An activity's lines carry the ids its workflow sent in a header (not the scope: headers are not encrypted).
    assert.deepEqual(llmLines.map((l) => [l.parentId, l.phase, l.activityType, l.model, l.inputTokens]),
      Array.from({ length: 5 }, () => [report.workflowId, 'implement:agent', 'agentTurn', MODEL, 1000]));
    assert.ok(lines.some((l) => l.workflowId === report.workflowId && l.msg === 'run succeeded' && !('parentId' in l)), 'the feature closes with a line of its own');
    assert.ok(!lines.some((l) => String(l.msg).startsWith('No workflows registered')), 'the host worker\'s notice is explained, not shown as a warning');
  });

  it('the metrics endpoint, parsed as Prometheus text, shows what the feature moved', () => {
    const moved = (name: string, labels: Record<string, string> = {}) => after1.value(name, labels) - before0.value(name, labels);
    const count = (name: string, labels: Record<string, string> = {}) => after1.histogram(name, labels).count - before0.histogram(name, labels).count;
    assert.equal(moved(METRIC.runs, { workflowType: 'infrastructureImplementor', outcome: 'succeeded' }), 2);
    assert.equal(moved(METRIC.runs, { workflowType: 'featureImplementor', outcome: 'succeeded' }), 1);
    assert.equal(count(METRIC.attempts), 2);
    assert.equal(moved(METRIC.llmCalls, { model: MODEL, outcome: 'ok' }), 5);
    for (const [kind, n] of [['input', 5000], ['output', 1000], ['cache_read', 2500], ['cache_write', 500]] as const) {
      assert.equal(moved(METRIC.llmTokens, { model: MODEL, kind }), n, kind);
    }
    assert.ok(Math.abs(after1.histogram(METRIC.llmCost, { model: MODEL }).sum - 5 * CALL_COST) < 1e-9, 'dollars spent');
    assert.ok(count(METRIC.commandSeconds, { tool: 'kustomize', command: 'build', outcome: 'ok' }) > 0, 'validator durations');
    assert.equal(moved(METRIC.escalations), 0);
    // The SDK's own metrics are on the same endpoint.
    assert.equal(moved('temporal_workflow_completed_total'), 3);
    assert.ok(count('temporal_activity_execution_latency', { activity_type: 'validateChanges' }) >= 2);
    if (process.env.TELEMETRY_SHOW) {
      const names = [...after1.types.keys()].filter((n) => n.startsWith('infra_implementor_') || n === 'temporal_workflow_completed');
      process.stderr.write(`\n${names.map((n) => (after1.types.get(n) === 'histogram'
        ? `${n}: count +${count(n)}, sum +${after1.histogram(n).sum - before0.histogram(n).sum}`
        : `${n}: +${moved(after1.types.get(n) === 'counter' ? `${n}_total` : n)}`)).join('\n')}\n`);
    }
  });

  it('a run keeps the sampling decision of the trace it was started in: unsampled, none of its spans leaves; sampled, they hang under the caller', async () => {
    const { workers, taskQueue } = await server.workers();
    const spec = ServiceSpec.parse({ service: 'orders', image: 'ghcr.io/acme/orders:1.0.0', port: 8080 });
    const caller = { traceId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90', spanId: '0123456789abcdef' };
    // A caller whose trace context is given, as a process traced with a sampler that said yes or no would send it.
    const startIn = async (flags: '00' | '01') => {
      const headers = { [TRACE_HEADER]: defaultPayloadConverter.toPayload({ traceparent: `00-${caller.traceId.slice(0, 30)}${flags}-${caller.spanId}-${flags}` }) };
      const c = new Client({ connection: server.env.connection, namespace: 'default', interceptors: { workflow: [{ start: (input, next) => next({ ...input, headers: { ...input.headers, ...headers } }) }] } });
      const input = ImplementorInput.parse({ featureDescription: 'Add orders', scope: 'orders service', infraRoot: path.join(await gitCopy(EXAMPLES), 'infra'), spec });
      const handle = await c.workflow.start(IMPLEMENTOR_WORKFLOW, { taskQueue, workflowId: `telemetry-sampled-${flags}-${Date.now()}`, args: [input] });
      return ((await handle.result()) as ImplementorReport).workflowId;
    };
    const [unsampled, sampled] = await workers.runUntil(async () => [await startIn('00'), await startIn('01')]);
    await tracing.forceFlush();
    const ofRun = (id: string) => receiver.spans.filter((s) => s.attributes.workflowId === id || s.attributes.temporalWorkflowId === id);
    assert.deepEqual(ofRun(unsampled).map((s) => s.name), [], 'the unsampled run exported spans');
    assert.deepEqual(receiver.spans.filter((s) => s.traceId === `${caller.traceId.slice(0, 30)}00`).map((s) => s.name), []);
    const run = byName(ofRun(sampled), 'RunWorkflow:infrastructureImplementor')[0];
    assert.equal(run?.parentSpanId, caller.spanId, 'the sampled run hangs under its caller');
    assert.equal(run?.traceId, `${caller.traceId.slice(0, 30)}01`);
    assert.ok(byName(ofRun(sampled), 'RunActivity:openWorkspace').length > 0, 'the sampled run\'s activities are traced');
  });

  it('a run that waits for a human counts an escalation and the time waited, and its trace holds the wait', async () => {
    const repoB = await gitCopy(EXAMPLES);
    const impl = scriptedImplementer({ phases: { config: write('apps/base/catalog/extra.yaml', 'a: [1, 2\n') } });
    const { worker, taskQueue } = await server.worker({ implementers: { scripted: () => impl } });
    const input = ImplementorInput.parse({ featureDescription: 'break it', scope: 'broken config', infraRoot: path.join(repoB, 'infra'), implementer: 'scripted', options: { maxAttempts: 1 } });
    const traced = new Client({ connection: server.env.connection, namespace: 'default', interceptors: clientInterceptors() });
    const r = await worker.runUntil(async () => {
      const handle = await traced.workflow.start(IMPLEMENTOR_WORKFLOW, { taskQueue, workflowId: `telemetry-wait-${Date.now()}`, args: [input] }) as WorkflowHandle<(i: ImplementorInput) => Promise<ImplementorReport>>;
      for (let i = 0; i < 300 && !(await handle.query(statusQuery)).pending; i++) await sleep(100);
      await sleep(1100); // a wait long enough to measure
      await handle.executeUpdate(answerUpdate, { args: [{ action: 'accept' }] });
      return handle.result();
    });
    assert.equal(r.status, 'accepted');
    await tracing.forceFlush();
    const now = await scrape(metricsUrl);
    assert.equal(now.value(METRIC.escalations) - after1.value(METRIC.escalations), 1);
    const waited = { count: now.histogram(METRIC.humanWait).count - after1.histogram(METRIC.humanWait).count, sum: now.histogram(METRIC.humanWait).sum - after1.histogram(METRIC.humanWait).sum };
    assert.equal(waited.count, 1);
    assert.ok(waited.sum >= 1, `waited ${waited.sum}s`);
    assert.equal(now.value(METRIC.runs, { outcome: 'accepted' }) - after1.value(METRIC.runs, { outcome: 'accepted' }), 1);
    const wait = receiver.spans.find((s) => s.name === 'phase awaiting-human' && s.attributes.workflowId === r.workflowId);
    assert.ok(wait && wait.end - wait.start >= 1000, 'the wait is a span as long as the wait');
    // The answer is a trace of its own, started by whoever answered, down to the workflow's handler.
    const handled = receiver.spans.find((s) => s.name === 'HandleUpdate:answer' && s.attributes.workflowId === r.workflowId);
    assert.equal(handled && parentOf(receiver.spans, handled)?.name, 'StartWorkflowUpdate:answer');
  });
});
