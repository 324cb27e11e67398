// The anthropic implementer against a local Messages API server, through the real SDK over HTTP:
// replies parsed and corrected, faults mapped to retryable / non-retryable Temporal failures.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { FixRequest, ImplementContext, RepoReader } from '../core/implementer';
import { ImplementorInput, type ChangeSet } from '../core/schemas';
import { surveyPatterns } from '../runtime/patterns';
import { readScope } from '../runtime/scope';
import { repoReader, realRoot } from '../runtime/repo-fs';
import {
  anthropicImplementerFactory, createAnthropicImplementer, NON_RETRYABLE_ANTHROPIC_TYPES, ReplyTruncatedError, UnusableReplyError,
  type AnthropicImplementerOptions,
} from '../implementers/anthropic';
import { retryAfterMs } from '../implementers/anthropic/errors';
import { proposeChangesTool } from '../implementers/anthropic/tool';
import {
  connectionReset, httpError, overloaded, rateLimited, rawToolReply, serverError, startFakeAnthropic, streamError, textReply,
  toolReply, unauthorized, type FakeAnthropic, type MessagesRequestBody,
} from './helpers/fake-anthropic';
import { EXAMPLES } from './helpers/repo';

const API_KEY = 'sk-ant-test-0123456789-do-not-leak';

const baseChange: ChangeSet = {
  operations: [{ path: 'apps/base/orders/deployment.yaml', action: 'write', phase: 'base', content: 'apiVersion: apps/v1\nkind: Deployment\n', reason: 'the workload' }],
  assumptions: [{ text: 'port 8080 taken from the spec' }],
  dependencies: [{ kind: 'image', description: 'ghcr.io/acme/orders:1.4.2' }],
};

async function exampleContext(): Promise<{ ctx: ImplementContext; repo: RepoReader; root: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ii-anthropic-'));
  cpSync(EXAMPLES, dir, { recursive: true });
  const infraRoot = path.join(dir, 'infra');
  const input = ImplementorInput.parse({
    featureDescription: 'Add the orders service', scope: 'orders service', infraRoot, reposRoot: dir,
    files: ['apps/staging/kustomization.yaml'], implementer: 'anthropic',
  });
  const { profile, knowledge } = await surveyPatterns({ infraRoot, reposRoot: dir });
  const scopeFiles = await readScope({ infraRoot, files: input.files });
  const root = await realRoot(infraRoot);
  return { ctx: { input, profile, knowledge, scopeFiles }, repo: repoReader(root), root: dir };
}

const body = (fake: FakeAnthropic, i: number): MessagesRequestBody => {
  const b = fake.messageRequests()[i]?.body;
  assert.ok(b, `request ${i} was made`);
  return b;
};

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

describe('anthropic implementer against a local Messages API', () => {
  let fake: FakeAnthropic;
  let ctx: ImplementContext;
  let repo: RepoReader;
  let heartbeats: unknown[];
  const implementer = (extra: Partial<AnthropicImplementerOptions> = {}) =>
    createAnthropicImplementer({ apiKey: API_KEY, baseURL: fake.url, model: 'claude-test', heartbeat: (d) => heartbeats.push(d), ...extra });

  before(async () => { ({ ctx, repo } = await exampleContext()); });
  beforeEach(async () => {
    await fake?.close();
    fake = await startFakeAnthropic();
    heartbeats = [];
  });
  after(async () => { await fake?.close(); });

  it('the tool input schema is the ChangeSet as a JSON Schema object', () => {
    const schema = proposeChangesTool.input_schema as Record<string, unknown>;
    assert.equal(schema.type, 'object');
    assert.equal(schema.$schema, undefined);
    assert.deepEqual(schema.required, ['operations']);
    assert.ok((schema.properties as Record<string, unknown>).operations);
  });

  it('parses a streamed tool_use reply into the change set, forcing the tool, heartbeating as it reads', async () => {
    fake.enqueue(toolReply(baseChange));
    const proposal = await implementer().implementPhase(ctx, 'base', repo);
    assert.deepEqual(proposal.changeSet, baseChange);
    assert.equal(proposal.usage?.calls, 1);
    const req = body(fake, 0);
    assert.equal(req.stream, true);
    assert.equal(req.model, 'claude-test');
    assert.deepEqual(req.tool_choice, { type: 'tool', name: 'propose_changes' });
    assert.deepEqual(req.tools?.map((t) => t.name), ['propose_changes']);
    assert.ok(heartbeats.length >= 5, `heartbeats on stream events (${heartbeats.length})`);
    const prompt = JSON.stringify(req);
    assert.match(prompt, /Phase \\"base\\"/);
    assert.match(prompt, /# REVIEW:/);
    assert.match(prompt, /catalog/, 'the exemplar service is shown');
    assert.match(prompt, /infrastructure-patterns\.md/, 'knowledge files are shown');
  });

  it('marks the stable prefix (system rules, repository, task) for the prompt cache, and a fix reads it from cache', async () => {
    fake.enqueue(toolReply(baseChange), toolReply({ operations: [] }));
    await implementer().implementPhase(ctx, 'base', repo);
    const fixReq: FixRequest = { attempt: 1, failures: [{ validator: 'kustomize', target: 'apps/staging', status: 'fail', message: 'boom' }], findings: [], touched: [] };
    const fix = await implementer().fix(ctx, fixReq, repo);
    const [phase, fixed] = [body(fake, 0), body(fake, 1)];
    assert.ok(Array.isArray(phase.system));
    assert.equal(phase.system.at(-1)?.cache_control?.type, 'ephemeral');
    assert.deepEqual(fixed.system, phase.system, 'the prefix is byte-identical across a phase and a fix');
    assert.ok((fix.usage?.cacheReadTokens ?? 0) > 0, 'the fix read the prefix from the cache');
    assert.equal(fix.usage?.cacheWriteTokens, 0);
  });

  it('sends invalid JSON tool input back as an error tool_result and accepts the correction', async () => {
    fake.enqueue(rawToolReply('{"operations": [ {"path": nope} ]}'), toolReply(baseChange));
    const proposal = await implementer().implementPhase(ctx, 'base', repo);
    assert.deepEqual(proposal.changeSet, baseChange);
    const second = body(fake, 1).messages;
    assert.equal(second.length, 3);
    const [assistant, correction] = [second[1]?.content, second[2]?.content] as Record<string, unknown>[][];
    assert.equal(assistant?.[0]?.type, 'tool_use');
    assert.deepEqual(assistant?.[0]?.input, {});
    assert.equal(correction?.[0]?.type, 'tool_result');
    assert.equal(correction?.[0]?.is_error, true);
    assert.match(String(correction?.[0]?.content), /not valid JSON/);
    assert.equal(proposal.usage?.calls, 2, 'usage is summed over both turns');
  });

  it('names each schema error in the correction (bad path, missing phase, other phase)', async () => {
    const broken = { operations: [
      { path: '../outside.yaml', action: 'write', content: 'x', phase: 'base' },
      { path: 'apps/base/orders/x.yaml', action: 'write', content: 'x' },
      { path: 'apps/staging/kustomization.yaml', action: 'write', content: 'x', phase: 'overlay' },
    ] };
    fake.enqueue(toolReply(broken), toolReply(baseChange));
    await implementer().implementPhase(ctx, 'base', repo);
    const result = JSON.stringify(body(fake, 1).messages[2]);
    assert.match(result, /operations\.0\.path: must not contain \\"\.\.\\" segments/);
    assert.match(result, /operations\.1\.phase/);
    assert.equal(fake.pending(), 0);
    // The phase check comes after the schema: fix the schema, keep the wrong phase.
    fake.enqueue(toolReply({ operations: [broken.operations[2]] }), toolReply(baseChange));
    await implementer().implementPhase(ctx, 'base', repo);
    assert.match(JSON.stringify(body(fake, 3).messages[2]), /is tagged \\"overlay\\"/);
  });

  it('gives up after the bounded corrections with UnusableReplyError (non-retryable, type UnusableReply)', async () => {
    fake.enqueue(rawToolReply('not json'), toolReply({ operations: 'none' }), textReply('I would rather explain in prose.'));
    const err = await failure(implementer().implementPhase(ctx, 'base', repo));
    assert.ok(err instanceof UnusableReplyError);
    assert.equal(err.type, 'UnusableReply');
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, /after 2 correction\(s\)/);
    assert.equal(err.problems.length, 3);
    assert.equal(fake.messageRequests().length, 3, 'one ask plus two corrections');
  });

  it('never parses a reply cut at max_tokens: the attempt fails (AnthropicMaxTokens, non-retryable)', async () => {
    fake.enqueue(toolReply(baseChange, { stopReason: 'max_tokens' }));
    const err = await failure(implementer({ maxTokens: 1234 }).implementPhase(ctx, 'base', repo));
    assert.ok(err instanceof ReplyTruncatedError);
    assert.equal(err.type, 'AnthropicMaxTokens');
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, /max_tokens \(1234\)/);
    assert.equal(body(fake, 0).max_tokens, 1234);
    assert.equal(fake.messageRequests().length, 1);
  });

  it('429 with retry-after: 2 is retryable with nextRetryDelay 2s, and the SDK itself does not retry', async () => {
    fake.enqueue(rateLimited('2'));
    const err = await failure(implementer().implementPhase(ctx, 'base', repo));
    assert.equal(err.type, 'AnthropicRateLimited');
    assert.equal(err.nonRetryable, false);
    assert.equal(err.nextRetryDelay, 2000);
    assert.equal(fake.messageRequests().length, 1);
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
    ['a connection reset mid-stream', connectionReset(true), 'AnthropicConnectionError'],
    ['an error event mid-stream', streamError('overloaded_error', 'Overloaded'), 'AnthropicOverloaded'],
  ] as const) {
    it(`${name} is a retryable ${type}`, async () => {
      fake.enqueue(reply);
      const err = await failure(implementer().implementPhase(ctx, 'base', repo));
      assert.equal(err.type, type);
      assert.equal(err.nonRetryable, false);
      assert.equal(fake.messageRequests().length, 1);
    });
  }

  it('a stalled connection is aborted after the idle timeout and retryable', async () => {
    fake.enqueue({ ...toolReply(baseChange), delayMs: 1500 });
    const started = Date.now();
    const err = await failure(implementer({ idleTimeoutMs: 200 }).implementPhase(ctx, 'base', repo));
    assert.equal(err.type, 'AnthropicConnectionError');
    assert.match(err.message, /stalled/);
    assert.ok(Date.now() - started < 1400, 'did not wait for the reply');
  });

  it('401 fails fast and non-retryably, naming ANTHROPIC_API_KEY, after exactly one request', async () => {
    fake.enqueue(unauthorized());
    const err = await failure(implementer().implementPhase(ctx, 'base', repo));
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
      const err = await failure(implementer().implementPhase(ctx, 'base', repo));
      assert.equal(err.type, type);
      assert.equal(err.nonRetryable, true);
      assert.match(err.message, says);
      assert.ok(NON_RETRYABLE_ANTHROPIC_TYPES.includes(type));
    });
  }

  it('cancellation passes through as the activity\'s own reason, not as a retryable failure', async () => {
    fake.enqueue({ ...toolReply(baseChange), delayMs: 2000 });
    const controller = new AbortController();
    const reason = new Error('activity cancelled');
    setTimeout(() => controller.abort(reason), 100);
    await assert.rejects(implementer({ signal: controller.signal }).implementPhase(ctx, 'base', repo), (e) => e === reason);
  });

  it('the fix prompt carries the exact validator output, compliance findings and human guidance', async () => {
    fake.enqueue(toolReply({ operations: [] }));
    const message = 'error: accumulating resources: accumulation err=\'accumulating resources from \'../base/orderz\'\': no such file';
    await implementer().fix(ctx, {
      attempt: 2,
      failures: [{ validator: 'kustomize', target: 'apps/staging', status: 'fail', message, file: 'apps/staging/kustomization.yaml', line: 4 }],
      findings: [{ check: 'missing-probes', severity: 'warning', target: 'apps/staging', resource: 'Deployment/orders', message: 'container orders has no readinessProbe' }],
      guidance: 'The base folder is apps/base/orders, not orderz.',
      touched: ['apps/staging/kustomization.yaml'],
    }, repo);
    const user = String(body(fake, 0).messages[0]?.content);
    assert.ok(user.includes(message), 'validator output verbatim');
    assert.ok(user.includes('apps/staging/kustomization.yaml:4'));
    assert.ok(user.includes('missing-probes Deployment/orders'));
    assert.ok(user.includes('The base folder is apps/base/orders, not orderz.'));
    assert.match(user, /### apps\/staging\/kustomization\.yaml\n```yaml\napiVersion/, 'touched files shown with their current content');
  });

  it('cuts large knowledge to the budget with a visible note, never silently', async () => {
    const big = { ...ctx, knowledge: [{ path: 'knowledge/infrastructure/infrastructure-patterns.md', content: 'x'.repeat(50_000) }] };
    fake.enqueue(toolReply(baseChange));
    await implementer({ knowledgeBudgetChars: 20_000 }).implementPhase(big, 'base', repo);
    const system = JSON.stringify(body(fake, 0).system);
    assert.match(system, /infrastructure-patterns\.md  \(cut to the prompt budget\)/);
    assert.match(system, /\[cut by infra-implementor: \d+ more characters not shown\]/);
    assert.ok(system.length < 40_000);
  });

  it('the API key travels only in the auth header, never in the prompt', async () => {
    fake.enqueue(rawToolReply('{'), toolReply(baseChange));
    await implementer().implementPhase(ctx, 'base', repo);
    for (const r of fake.messageRequests()) assert.ok(!r.rawBody.includes(API_KEY));
    const auth = `${fake.messageRequests()[0]?.headers['x-api-key'] ?? ''}${fake.messageRequests()[0]?.headers.authorization ?? ''}`;
    assert.ok(auth.includes(API_KEY), 'the key authenticates the request');
  });

  it('without ANTHROPIC_API_KEY the factory fails non-retryably, naming the variable', () => {
    const make = anthropicImplementerFactory({ ANTHROPIC_BASE_URL: fake.url });
    assert.throws(() => make({ heartbeat: () => undefined, signal: new AbortController().signal }), (e) =>
      e instanceof ApplicationFailure && e.nonRetryable === true && e.type === 'AnthropicAuthError' && /ANTHROPIC_API_KEY is not set/.test(e.message));
  });

  it('the factory honours ANTHROPIC_BASE_URL and ANTHROPIC_MODEL', async () => {
    fake.enqueue(toolReply(baseChange));
    const make = anthropicImplementerFactory({ ANTHROPIC_API_KEY: API_KEY, ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_MODEL: 'claude-gateway-model' });
    await make({ heartbeat: () => undefined, signal: new AbortController().signal }).implementPhase(ctx, 'base', repo);
    assert.equal(body(fake, 0).model, 'claude-gateway-model');
  });
});
