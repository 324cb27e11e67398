// The implementor's decisions as a pure state machine (core/run-machine.ts): every path the
// validate ⇄ fix ⇄ ask loop can take, without Temporal.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nextStep, startLoop, unvalidatedReason, type LoopEvent, type LoopState, type Transition } from '../core/run-machine';

/** Feed events in order from the start; returns every step taken and the last state. */
function play(maxAttempts: number, events: LoopEvent[]): { steps: string[]; state: LoopState; last: Transition } {
  let t: Transition = { state: startLoop(maxAttempts), step: { do: 'validate' } };
  const steps: string[] = [];
  for (const e of events) {
    t = nextStep(t.state, e);
    steps.push(t.step.do === 'fix' ? `fix${t.step.byHuman ? ' (human)' : ''}` : t.step.do);
  }
  return { steps, state: t.state, last: t };
}

const fail: LoopEvent = { on: 'validated', failing: true, failures: 'yaml a.yaml: bad' };
const pass: LoopEvent = { on: 'validated', failing: false, failures: 'no failures' };
const fixed: LoopEvent = { on: 'fixed', byHuman: false, changed: true };
const answered = (action: 'retry' | 'accept' | 'abort', timedOut = false, guidance?: string): LoopEvent => ({ on: 'answered', action, timedOut, deadline: '2s', ...(guidance ? { guidance } : {}) });

describe('the run machine', () => {
  it('a clean implementation validates once and succeeds on attempt 1', () => {
    const { steps, last } = play(3, [{ on: 'implemented' }, pass]);
    assert.deepEqual(steps, ['validate', 'finish']);
    assert.deepEqual(last.step, { do: 'finish', status: 'succeeded', summary: 'Implemented and validated on attempt 1.' });
  });

  it('an implementation nothing could validate ends unvalidated, never succeeded; a failure still goes to the fix', () => {
    const reason = unvalidatedReason([
      { validator: 'yaml', status: 'pass', message: '1 document(s) parse' },
      { validator: 'kustomize', status: 'skipped', message: 'neither kustomize nor kubectl (with built-in kustomize) is installed' },
      { validator: 'kubectl', status: 'skipped', message: 'server-side dry run: no cluster' },
    ]);
    assert.equal(reason, '1 check(s) skipped, e.g. neither kustomize nor kubectl (with built-in kustomize) is installed');
    const { steps, last } = play(3, [{ on: 'implemented' }, { ...pass, unvalidated: reason as string }]);
    assert.deepEqual(steps, ['validate', 'finish']);
    assert.deepEqual(last.step, { do: 'finish', status: 'unvalidated', summary: `Implemented, but nothing could validate it: ${reason}.` });
    assert.equal(play(3, [{ on: 'implemented' }, { ...fail, unvalidated: 'x' }]).steps[1], 'fix');
    assert.equal(unvalidatedReason([{ validator: 'schema', status: 'pass', message: 'ok' }]), undefined);
    assert.equal(unvalidatedReason([{ validator: 'yaml', status: 'pass', message: 'parses' }]), undefined, 'no build applies: judged as before');
  });

  it('a failure is fixed automatically while attempts remain, then succeeds on attempt 2', () => {
    const { steps, state } = play(3, [{ on: 'implemented' }, fail, fixed, pass]);
    assert.deepEqual(steps, ['validate', 'fix', 'validate', 'finish']);
    assert.equal(state.attempt, 2);
    assert.deepEqual(state.tried, ['attempt 1: yaml a.yaml: bad']);
  });

  it('after the last attempt it asks; a human retry buys exactly one more validation, then it asks again', () => {
    const { steps, state } = play(2, [{ on: 'implemented' }, fail, fixed, fail, answered('retry', false, 'use port 80'), { on: 'fixed', byHuman: true, changed: true }, fail]);
    assert.deepEqual(steps, ['validate', 'fix', 'validate', 'ask', 'fix (human)', 'validate', 'ask']);
    assert.equal(state.attempt, 3);
    assert.equal(state.maxAttempts, 3);
    assert.equal(state.tried.length, 3, 'one line per failed attempt');
  });

  it('the guidance of a retry goes to the fix; a retry without guidance sends an empty one', () => {
    assert.deepEqual(nextStep(startLoop(1), answered('retry', false, 'use port 80')).step, { do: 'fix', byHuman: true, guidance: 'use port 80' });
    assert.deepEqual(nextStep(startLoop(1), answered('retry')).step, { do: 'fix', byHuman: true, guidance: '' });
  });

  it('a fix that changes nothing asks at once instead of validating the same tree, and says so', () => {
    const { steps, state } = play(3, [{ on: 'implemented' }, fail, { on: 'fixed', byHuman: false, changed: false }]);
    assert.deepEqual(steps, ['validate', 'fix', 'ask']);
    assert.equal(state.tried.at(-1), 'fix after attempt 1: the implementer proposed no change');
  });

  it('an unusable first proposal is a failed attempt even when the tree validates, until a fix replaces it', () => {
    const { steps, state } = play(3, [{ on: 'implemented', incomplete: 'the implementation is incomplete: no tool call' }, pass, { on: 'fixed', byHuman: false, changed: true }, pass]);
    assert.deepEqual(steps, ['validate', 'fix', 'validate', 'finish']);
    assert.equal(state.tried[0], 'attempt 1: the implementation is incomplete: no tool call');
    assert.equal(state.incomplete, undefined);
  });

  it('an unusable fix keeps the run incomplete and asks, naming the error', () => {
    const { steps, state } = play(3, [{ on: 'implemented', incomplete: 'cut at max_tokens' }, pass, { on: 'fixed', byHuman: false, changed: false, error: 'cut again' }]);
    assert.deepEqual(steps, ['validate', 'fix', 'ask']);
    assert.equal(state.incomplete, 'cut at max_tokens');
    assert.equal(state.tried.at(-1), 'fix after attempt 1: cut again');
  });

  it('accept finishes as accepted, abort aborts, and the deadline says it applied', () => {
    assert.deepEqual(nextStep(startLoop(1), answered('accept')).step, { do: 'finish', status: 'accepted', summary: 'Accepted by a human with failing validations.' });
    assert.deepEqual(nextStep(startLoop(1), answered('abort')).step, { do: 'abort', summary: 'Aborted by a human: every file this run wrote was restored.' });
    assert.deepEqual(nextStep(startLoop(1), answered('abort', true)).step, { do: 'abort', summary: 'No answer before the deadline (2s): aborted and restored the repository.' });
    assert.deepEqual(nextStep(startLoop(1), answered('accept', true)).step, { do: 'finish', status: 'accepted', summary: 'No answer before the deadline (2s): accepted with failing validations.' });
  });

  it('never mutates the state it is given', () => {
    const s = Object.freeze({ ...startLoop(2), tried: Object.freeze([]) as unknown as string[] });
    assert.doesNotThrow(() => play(2, [{ on: 'implemented' }, fail, fixed, fail]));
    assert.doesNotThrow(() => nextStep(s, fail));
  });
});
