// A streamed reply is hundreds of events and each used to be a heartbeat into the SDK's native core,
// which keeps only the latest anyway: activities forward one per HEARTBEAT_GAP_MS (activities/heartbeat.ts).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../activities';
import { throttledHeartbeat } from '../activities/heartbeat';
import type { BatchResult, TurnResult } from '../core/agent';
import type { LoadedContext } from '../activities/implement';
import { benchDeps, workspace } from '../bench/harness';
import { agentTurn, startFixedLatencyLlm } from '../bench/llm';
import type { FakeAnthropic } from './helpers/fake-anthropic';

describe('heartbeats from inside an activity', () => {
  it('the first call goes through at once, the rest of the gap is dropped, and a call after the gap goes through', async () => {
    const sent: unknown[] = [];
    const beat = throttledHeartbeat({ heartbeat: (d?: unknown) => void sent.push(d) }, 50);
    for (let i = 0; i < 1000; i++) beat({ n: i });
    assert.deepEqual(sent, [{ n: 0 }]);
    await new Promise((r) => setTimeout(r, 60));
    beat({ n: 1000 });
    assert.deepEqual(sent, [{ n: 0 }, { n: 1000 }]);
  });

  let llm: FakeAnthropic;
  before(async () => { llm = await startFixedLatencyLlm(0); });
  after(() => llm.close());

  it('a model turn streaming a long reply reaches the SDK with a few heartbeats, not one per stream event', async () => {
    const ws = await workspace('beats');
    const acts = createActivities(benchDeps(llm.url));
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const loaded = await env.run(acts.loadContext, { infraRoot: ws.infraRoot, files: [], implementer: 'anthropic' }) as LoadedContext;
    const turn = (key: string, rest: object) => env.run(acts.agentTurn, { implementer: 'anthropic', infraRoot: ws.infraRoot, key, ...rest }) as Promise<TurnResult>;
    // The first turn reads; the second writes three files and edits two (the bench model's script).
    const first = await turn('beats/t0', { ctx: { input: ws.input, ref: loaded.ref } });
    assert.equal(first.kind, 'reply');
    const tools = await env.run(acts.agentTools, { infraRoot: ws.infraRoot, conversation: (first as Extract<TurnResult, { kind: 'reply' }>).conversation, key: 'beats/t0/tools', touched: [] }) as BatchResult;
    beats.length = 0;
    const second = await turn('beats/t1', { conversation: tools.conversation });
    assert.equal(second.kind, 'reply');
    const forwardedAt = beats.map((d) => (d as { llmEvents?: number } | undefined)?.llmEvents ?? 0);
    // The bench model's second turn as the stream sends it: each tool input in 64-character deltas.
    const script = agentTurn('beats', 1);
    const deltas = script.kind === 'turn' ? script.calls.reduce((n, c) => n + Math.ceil(JSON.stringify(c.input).length / 64), 0) : 0;
    assert.ok(deltas > 40, `a long reply (${deltas} deltas)`);
    assert.ok(beats.length >= 1, 'the stream beats');
    assert.equal(forwardedAt[0], 1, 'the first event beats at once');
    assert.ok(beats.length * 4 <= deltas, `${beats.length} heartbeats (at events ${forwardedAt.join(', ')}) for a reply of more than ${deltas} stream events`);
  });
});
