// The Claude agent's model and its turns, against a local Messages API through the real SDK over
// HTTP: streamed replies with several tool calls, faults mapped to retryable / non-retryable Temporal
// failures, the usage of every reply served (a broken one too), the prompt cache, the price of a call
// before it is made, and a turn that is never asked twice.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { TurnResult } from '../core/agent';
import { ImplementorInput } from '../core/schemas';
import type { TokenCounters } from '../core/phases';
import { BUILT_IN_PRICES, costUsd, priceOf } from '../core/pricing';
import { anthropicAgentFactory, createAnthropicAgent, DEFAULT_MAX_TOKENS, NON_RETRYABLE_ANTHROPIC_TYPES, type AnthropicAgentOptions } from '../implementers/anthropic';
import { retryAfterMs } from '../implementers/anthropic/errors';
import { StepRecords } from '../implementers/agent/records';
import { RepoView } from '../implementers/agent/repo-view';
import { runTurn, type TurnDeps } from '../implementers/agent/turn';
import { AGENT_TOOLS } from '../implementers/agent/tools';
import { BlobStore } from '../runtime/blob-store';
import { surveyPatterns } from '../runtime/patterns';
import { readScope } from '../runtime/scope';
import {
  connectionReset, httpError, overloaded, rateLimited, serverError, startFakeAnthropic, streamError, turn, unauthorized,
  type FakeAnthropic, type MessagesRequestBody,
} from './helpers/fake-anthropic';
import { agentRepo, PLANTED } from './helpers/agent-script';

const API_KEY = 'sk-ant-test-0123456789-do-not-leak';
const request = (text = 'hello') => ({ model: 'ignored', max_tokens: 100, tools: AGENT_TOOLS, messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text }] }] });

/** The thrown value, which must be an ApplicationFailure. */
async function failure(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the call to fail');
}

const body = (fake: FakeAnthropic, i: number): MessagesRequestBody => {
  const b = fake.messageRequests()[i]?.body;
  assert.ok(b, `request ${i} was made`);
  return b;
};

describe('the anthropic agent model against a local Messages API', () => {
  let fake: FakeAnthropic;
  let heartbeats: unknown[];
  let served: TokenCounters[];
  const model = (extra: Partial<AnthropicAgentOptions> = {}) =>
    createAnthropicAgent({ apiKey: API_KEY, baseURL: fake.url, model: 'claude-test', heartbeat: (d) => heartbeats.push(d), ...extra });
  const onUsage = async (u: TokenCounters) => { served.push(u); };

  beforeEach(async () => {
    await fake?.close();
    fake = await startFakeAnthropic();
    heartbeats = [];
    served = [];
  });
  after(async () => { await fake?.close(); });

  it('streams a turn with text and several tool calls, heartbeating as it reads, and reports its usage once', async () => {
    fake.enqueue({ kind: 'turn', text: 'Looking around first.', calls: [{ name: 'Glob', input: { pattern: '**/*.yaml' } }, { name: 'Read', input: { file_path: 'a.yaml' } }] });
    const reply = await model().call(request(), onUsage);
    assert.equal(reply.stopReason, 'tool_use');
    assert.deepEqual(reply.content.map((b) => b?.type), ['text', 'tool_use', 'tool_use']);
    const calls = reply.content.flatMap((b) => (b?.type === 'tool_use' ? [b] : []));
    assert.deepEqual(calls.map((c) => [c.name, JSON.parse(c.rawJson)]), [['Glob', { pattern: '**/*.yaml' }], ['Read', { file_path: 'a.yaml' }]]);
    assert.notEqual(calls[0]?.id, calls[1]?.id);
    assert.equal(body(fake, 0).stream, true);
    assert.equal(body(fake, 0).model, 'claude-test');
    assert.ok(heartbeats.length >= 5, `heartbeats on stream events (${heartbeats.length})`);
    assert.equal(served.length, 1);
    assert.equal(served[0]?.outputTokens, fake.messageRequests()[0]?.usage?.output_tokens);
  });

  it('a stream that breaks mid-reply still reports what it used, and is retryable', async () => {
    fake.enqueue(connectionReset(true));
    const err = await failure(model().call(request(), onUsage));
    assert.equal(err.type, 'AnthropicConnectionError');
    assert.equal(err.nonRetryable, false);
    assert.equal(served.length, 1, 'the input the API read before the break is paid for');
    assert.ok((served[0]?.inputTokens ?? 0) > 0);
  });

  it('429 with retry-after: 2 is retryable with nextRetryDelay 2s, and the SDK itself does not retry', async () => {
    fake.enqueue(rateLimited('2'));
    const err = await failure(model().call(request(), onUsage));
    assert.equal(err.type, 'AnthropicRateLimited');
    assert.equal(err.nonRetryable, false);
    assert.equal(err.nextRetryDelay, 2000);
    assert.equal(fake.messageRequests().length, 1);
    assert.equal(served.length, 0, 'a refused request costs nothing');
  });

  it('retry-after as an HTTP date, as milliseconds, absent or absurd', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    assert.equal(retryAfterMs(new Headers({ 'retry-after': 'Tue, 01 Jan 2030 00:00:07 GMT' }), now), 7000);
    assert.equal(retryAfterMs(new Headers({ 'retry-after-ms': '1500', 'retry-after': '9' }), now), 1500);
    assert.equal(retryAfterMs(new Headers({}), now), undefined);
    assert.equal(retryAfterMs(new Headers({ 'retry-after': 'soon' }), now), undefined);
    assert.equal(retryAfterMs(new Headers({ 'retry-after': '86400' }), now), 600_000, 'capped at 10 minutes');
  });

  for (const [name, reply, type] of [
    ['529 overloaded', overloaded(), 'AnthropicOverloaded'],
    ['500', serverError(), 'AnthropicServerError'],
    ['a connection reset before the response', connectionReset(), 'AnthropicConnectionError'],
    ['an error event mid-stream', streamError('overloaded_error', 'Overloaded'), 'AnthropicOverloaded'],
  ] as const) {
    it(`${name} is a retryable ${type}`, async () => {
      fake.enqueue(reply);
      const err = await failure(model().call(request(), onUsage));
      assert.equal(err.type, type);
      assert.equal(err.nonRetryable, false);
      assert.equal(fake.messageRequests().length, 1);
    });
  }

  it('a stalled connection is aborted after the idle timeout and retryable', async () => {
    fake.enqueue({ ...turn(['Validate', {}]), delayMs: 1500 });
    const started = Date.now();
    const err = await failure(model({ idleTimeoutMs: 200 }).call(request(), onUsage));
    assert.equal(err.type, 'AnthropicConnectionError');
    assert.match(err.message, /stalled/);
    assert.ok(Date.now() - started < 1400, 'did not wait for the reply');
  });

  it('401 fails fast and non-retryably, naming ANTHROPIC_API_KEY, after exactly one request', async () => {
    fake.enqueue(unauthorized());
    const err = await failure(model().call(request(), onUsage));
    assert.equal(err.type, 'AnthropicAuthError');
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, /ANTHROPIC_API_KEY was rejected/);
    assert.equal(fake.messageRequests().length, 1);
    assert.ok(NON_RETRYABLE_ANTHROPIC_TYPES.includes('AnthropicAuthError'));
  });

  for (const [status, errorType, type, says] of [
    [404, 'not_found_error', 'AnthropicNotFound', /model "claude-test" was not found.*ANTHROPIC_MODEL/],
    [403, 'permission_error', 'AnthropicPermissionDenied', /ANTHROPIC_API_KEY may not use/],
    [400, 'invalid_request_error', 'AnthropicBadRequest', /rejected the request as invalid: nope/],
  ] as const) {
    it(`${status} is a non-retryable ${type} that says what to fix`, async () => {
      fake.enqueue(httpError(status, errorType, 'nope'));
      const err = await failure(model().call(request(), onUsage));
      assert.equal(err.type, type);
      assert.equal(err.nonRetryable, true);
      assert.match(err.message, says);
    });
  }

  it('cancellation passes through as the activity\'s own reason, not as a retryable failure', async () => {
    fake.enqueue({ ...turn(['Validate', {}]), delayMs: 2000 });
    const controller = new AbortController();
    const reason = new Error('activity cancelled');
    setTimeout(() => controller.abort(reason), 100);
    await assert.rejects(model({ signal: controller.signal }).call(request(), onUsage), (e) => e === reason);
  });

  it('counts a request\'s tokens where the API can, and says it cannot where it cannot', async () => {
    assert.ok(((await model().countTokens(request('a'.repeat(4000)))) ?? 0) >= 1000);
    fake.countTokens = false;
    assert.equal(await model().countTokens(request()), undefined);
  });

  it('the API key travels only in the auth header; the factory needs it and honours the environment', async () => {
    fake.enqueue(turn(['Validate', {}]));
    const make = anthropicAgentFactory({ ANTHROPIC_API_KEY: API_KEY, ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_MODEL: 'claude-gateway-model' });
    const m = make({ heartbeat: () => undefined, signal: new AbortController().signal });
    assert.equal(m.maxTokens, DEFAULT_MAX_TOKENS);
    await m.call(request(), onUsage);
    assert.equal(body(fake, 0).model, 'claude-gateway-model');
    const r = fake.messageRequests()[0];
    assert.ok(!r?.rawBody.includes(API_KEY));
    assert.ok(`${r?.headers['x-api-key'] ?? ''}${r?.headers.authorization ?? ''}`.includes(API_KEY));
    const keyless = anthropicAgentFactory({ ANTHROPIC_BASE_URL: fake.url });
    assert.throws(() => keyless({ heartbeat: () => undefined, signal: new AbortController().signal }), (e) =>
      e instanceof ApplicationFailure && e.nonRetryable === true && e.type === 'AnthropicAuthError' && /ANTHROPIC_API_KEY is not set/.test(e.message));
  });
});

describe('an agent turn', () => {
  let fake: FakeAnthropic;
  let infraRoot: string;
  let deps: (extra?: Partial<TurnDeps>) => TurnDeps;
  const price = priceOf('claude-sonnet', BUILT_IN_PRICES);

  before(async () => {
    fake = await startFakeAnthropic();
    ({ infraRoot } = await agentRepo());
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'ii-turn-'));
    const store = new BlobStore(stateDir);
    const input = ImplementorInput.parse({ featureDescription: 'Production must run 3 replicas', scope: 'catalog replicas', infraRoot, implementer: 'anthropic', files: ['apps/production/kustomization.yaml'] });
    const { profile, knowledge } = await surveyPatterns({ infraRoot });
    const scopeFiles = await readScope({ infraRoot, files: input.files });
    deps = (extra = {}) => ({
      store, records: new StepRecords(stateDir), view: new RepoView(infraRoot),
      model: createAnthropicAgent({ apiKey: API_KEY, baseURL: fake.url, model: 'claude-sonnet-test' }),
      context: async () => ({ input, profile, knowledge, scopeFiles }),
      price: () => price, cost: (_m, u) => costUsd('claude-sonnet', u, BUILT_IN_PRICES),
      ...extra,
    });
  });
  after(async () => { await fake?.close(); });

  it('opens with the rules, the repository map (paths only) and the task as one cached prefix, and the tools', async () => {
    fake.enqueue(turn(['Glob', { pattern: '**/*.yaml' }]));
    const r = await runTurn(deps(), { infraRoot, key: 'open/t0', ctx: { input: {}, ref: 'unused' } });
    assert.equal(r.kind, 'reply');
    const b = fake.messageRequests().at(-1)?.body;
    assert.ok(Array.isArray(b?.system));
    assert.equal(b.system.length, 2);
    assert.match(b.system[0]?.text ?? '', /You are an infrastructure implementor/);
    assert.equal(b.system[1]?.cache_control?.type, 'ephemeral');
    assert.match(b.system[1]?.text ?? '', /# Repository map[\s\S]*apps\/base\/catalog[\s\S]*# The task[\s\S]*Production must run 3 replicas/);
    assert.match(b.system[1]?.text ?? '', /apps\/production\/kustomization\.yaml/, 'the scope file is named');
    assert.ok(!JSON.stringify(b).includes('readinessProbe'), 'no file content in the opening prompt');
    assert.ok(!JSON.stringify(b).includes(PLANTED.password));
    assert.deepEqual(b.tools?.map((t) => t.name), ['Glob', 'Grep', 'Read', 'Write', 'Edit', 'Validate', 'AskUserQuestion', 'Finish']);
    assert.equal(b.max_tokens, DEFAULT_MAX_TOKENS);
    assert.deepEqual(r.kind === 'reply' ? r.calls.map((c) => c.brief) : [], ['Glob **/*.yaml']);
  });

  it('a turn already answered is never asked again: its retry returns the recorded reply and usage', async () => {
    fake.enqueue(turn(['Validate', {}]));
    const first = await runTurn(deps(), { infraRoot, key: 'once/t0', ctx: { input: {}, ref: 'unused' } });
    const requests = fake.messageRequests().length;
    const again = await runTurn(deps(), { infraRoot, key: 'once/t0', ctx: { input: {}, ref: 'unused' } });
    assert.deepEqual(again, first);
    assert.equal(fake.messageRequests().length, requests, 'no second request');
  });

  it('a failed turn carries the usage of every reply it was served in its failure details', async () => {
    fake.enqueue(connectionReset(true));
    const err = await failure(runTurn(deps(), { infraRoot, key: 'broken/t0', ctx: { input: {}, ref: 'unused' } }));
    assert.equal(err.type, 'AnthropicConnectionError');
    const usage = (err.details?.[0] as { usage?: TokenCounters } | undefined)?.usage;
    assert.equal(usage?.calls, 1);
    // The retry is served, and its result counts both replies.
    fake.enqueue(turn(['Validate', {}]));
    const r = await runTurn(deps(), { infraRoot, key: 'broken/t0', ctx: { input: {}, ref: 'unused' } }) as Extract<TurnResult, { kind: 'reply' }>;
    assert.equal(r.usage.calls, 2);
  });

  it('a cut reply is counted and not kept; the conversation after a reply carries breakpoints on its last two user messages', async () => {
    fake.enqueue(turn(['Glob', { pattern: '*' }]));
    const opened = await runTurn(deps(), { infraRoot, key: 'cut/t0', ctx: { input: {}, ref: 'unused' } }) as Extract<TurnResult, { kind: 'reply' }>;
    fake.enqueue({ kind: 'turn', calls: [{ name: 'Validate', input: {} }], stopReason: 'max_tokens' });
    const cut = await runTurn(deps(), { infraRoot, key: 'cut/t1', conversation: opened.conversation, add: { noTool: true } });
    assert.equal(cut.kind, 'cut');
    assert.equal(cut.kind === 'cut' ? cut.usage.calls : 0, 1);
    fake.enqueue(turn(['Validate', {}]));
    await runTurn(deps(), { infraRoot, key: 'cut/t1/cut1', conversation: opened.conversation, add: { noTool: true, cut: true } });
    const b = fake.messageRequests().at(-1)?.body;
    const marked = (b?.messages ?? []).map((m) => (typeof m.content === 'string' ? false : m.content.some((x) => x.cache_control)));
    assert.deepEqual(marked, [true, false, true], 'the first user message and the last one');
    assert.match(JSON.stringify(b?.messages.at(-1)), /cut at the output limit/);
  });

  it('with a budget, the price is estimated before the call (count_tokens, else characters) and a call that does not fit is not made', async () => {
    const before = fake.messageRequests().length;
    const over = await runTurn(deps(), { infraRoot, key: 'budget/t0', ctx: { input: {}, ref: 'unused' }, allowUsd: 0.001 });
    assert.equal(over.kind, 'over-budget');
    assert.equal(fake.messageRequests().length, before, 'no call made');
    assert.equal(fake.countRequests().length > 0, true);
    const counted = over.kind === 'over-budget' ? over : undefined;
    // A full reply at the output price plus the prompt at the cache-write price: an upper bound.
    const expected = ((counted?.promptTokens ?? 0) * 3.75 + DEFAULT_MAX_TOKENS * 15) / 1e6;
    assert.ok(Math.abs((counted?.estimateUsd ?? 0) - expected) < 1e-9, `${counted?.estimateUsd} vs ${expected}`);
    fake.countTokens = false;
    const guessed = await runTurn(deps(), { infraRoot, key: 'budget/t0', ctx: { input: {}, ref: 'unused' }, allowUsd: 0.001 });
    assert.equal(guessed.kind, 'over-budget');
    fake.countTokens = true;
    const unpriced = await failure(runTurn(deps({ price: () => undefined }), { infraRoot, key: 'budget/t0', ctx: { input: {}, ref: 'unused' }, allowUsd: 1 }));
    assert.equal(unpriced.nonRetryable, true);
    assert.match(unpriced.message, /--budget-usd needs the price of model claude-sonnet-test: add it to INFRA_IMPLEMENTOR_LLM_PRICES/);
  });
});
