// How an answer sent to a feature finds its question (workflows/feature-scopes.ts), without a server:
// by scope, by question id, the feature's own question, and the refusals people see.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FeatureInput } from '../core/feature';
import type { Question } from '../core/questions';
import { childQuestions, routeAnswer, scopeRecords, takeProgress } from '../workflows/feature-scopes';

const input = {
  feature: 'f', infraRoot: '/r', branch: 'infra/f', options: { maxAttempts: 3, humanDeadline: '24h', deadlineAction: 'abort', hostTimeout: '60s', reminders: [] },
  scopes: [{ scope: 'orders service', slug: 'orders', files: [], implementer: 'scaffold' }, { scope: 'payments service', slug: 'payments', files: [], implementer: 'scaffold' }],
} as FeatureInput;

const question = (id: string, extra: Partial<Question> = {}): Question => ({
  id, kind: 'validation', question: 'stuck?', failures: [], tried: [], options: [{ action: 'retry', meaning: '' }, { action: 'accept', meaning: '' }, { action: 'abort', meaning: '' }],
  askedAt: '2026-12-01T00:00:00Z', deadline: '2026-12-02T00:00:00Z', atDeadline: 'abort', ...extra,
});

function records(pending: Record<string, string | undefined>) {
  const rs = scopeRecords(input, 'feature-1');
  for (const r of rs) {
    const id = pending[r.status.slug];
    if (id) takeProgress(rs, { workflowId: r.status.workflowId, scope: r.status.scope, phase: 'awaiting-human', attempt: 1, maxAttempts: 1, done: false, seq: 1, pending: question(id) });
  }
  return rs;
}

describe('answers routed through a feature', () => {
  it('children questions carry their scope and run; a single open question needs no scope', () => {
    const rs = records({ orders: 'q1' });
    assert.deepEqual(childQuestions(rs).map((q) => [q.id, q.scope, q.workflowId]), [['q1', 'orders service', 'feature-1--orders']]);
    const route = routeAnswer({ action: 'retry' }, rs, undefined);
    assert.equal(route.own ? 'own' : route.record.status.slug, 'orders');
  });

  it('two open questions need a scope, or a question id only one of them has', () => {
    const rs = records({ orders: 'q1', payments: 'q2' });
    assert.throws(() => routeAnswer({ action: 'abort' }, rs, undefined), /2 questions are pending: name one with --scope \(orders service, payments service\)/);
    const byId = routeAnswer({ action: 'abort', question: 'q2' }, rs, undefined);
    assert.equal(byId.own ? 'own' : byId.record.status.slug, 'payments');
    const byScope = routeAnswer({ action: 'abort', scope: 'orders' }, rs, undefined);
    assert.equal(byScope.own ? 'own' : byScope.record.status.slug, 'orders');
  });

  it('an answer naming another question than the scope\'s pending one is refused, naming it', () => {
    const rs = records({ orders: 'q2' });
    assert.throws(() => routeAnswer({ action: 'accept', scope: 'orders service', question: 'q1' }, rs, undefined), /question q1 is not pending \(answered or superseded\): the open question is q2 \(orders service\)/);
  });

  it('the feature\'s own question is reached with merge or its scope; nothing pending and unknown scopes are refused', () => {
    const rs = records({});
    assert.throws(() => routeAnswer({ action: 'accept' }, rs, undefined), /nothing is pending/);
    const own = question('q1', { kind: 'merge-conflict', scope: 'payments service' });
    assert.equal(routeAnswer({ action: 'accept', scope: 'merge' }, rs, own).own, true);
    assert.equal(routeAnswer({ action: 'accept', scope: 'payments' }, rs, own).own, true);
    assert.throws(() => routeAnswer({ action: 'accept', scope: 'inventory' }, rs, own), /no question pending for scope "inventory"/);
  });

  it('a late progress report never overwrites a newer one, nor a closed child', () => {
    const rs = records({ orders: 'q1' });
    const orders = rs[0];
    assert.ok(orders);
    assert.equal(takeProgress(rs, { workflowId: orders.status.workflowId, scope: 'orders service', phase: 'fix', attempt: 2, maxAttempts: 2, done: false, seq: 1 }), false);
    assert.equal(takeProgress(rs, { workflowId: orders.status.workflowId, scope: 'orders service', phase: 'fix', attempt: 2, maxAttempts: 2, done: false, seq: 2 }), true);
    assert.equal(orders.status.phase, 'fix');
    orders.status.status = 'succeeded';
    assert.equal(takeProgress(rs, { workflowId: orders.status.workflowId, scope: 'orders service', phase: 'validate', attempt: 3, maxAttempts: 3, done: false, seq: 3 }), false);
  });
});
