// Progress read from real recorded histories (test/histories): every phase in the order it was
// written, the attempt counted from the validations, the moments a run may ask a question of its own,
// the children a feature starts, and how each run ended, decoded from the events alone.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultDataConverter } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { FactReader, type RunFact } from '../client/run-facts';
import { FEATURE_ROW, RunTracker } from '../client/run-tracker';
import { HISTORIES_DIR, recordedWorkflowId } from './helpers/histories';

async function replay(file: string) {
  const workflowId = recordedWorkflowId(file);
  const history = historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')));
  const reader = new FactReader(defaultDataConverter, 'default', workflowId);
  const tracker = new RunTracker(workflowId);
  const rows: string[] = [];
  const asks: string[] = [];
  const facts: RunFact[] = [];
  for (const e of history.events ?? []) {
    for (const f of await reader.read(e)) {
      facts.push(f);
      if (tracker.apply(f)) {
        const r = tracker.progress;
        rows.push(`${r.scope}: ${r.status ?? r.phase}${r.attempt ? ` #${r.attempt}` : ''}${r.waiting ? ' (waiting)' : ''}`);
      }
      if (tracker.mayAskItself()) asks.push(tracker.progress.phase);
    }
  }
  return { tracker, rows, asks, facts };
}

/** The ImplementorPhase values a recording upserted, in order, decoded from its JSON by hand. */
function recordedPhases(file: string): string[] {
  const raw = JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')) as { events: { upsertWorkflowSearchAttributesEventAttributes?: { searchAttributes: { indexedFields: Record<string, { data: string }> } } }[] };
  return raw.events.flatMap((e) => {
    const field = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes.indexedFields.ImplementorPhase;
    return field ? [JSON.parse(Buffer.from(field.data, 'base64').toString('utf8')) as string] : [];
  });
}

describe('progress from recorded events', () => {
  it('an implement run that asked once: every phase in order, attempts from validations, one ask, closed as succeeded', async () => {
    const file = 'implementor-escalate-retry.json';
    const { rows, asks, tracker } = await replay(file);
    // What the recording holds, read straight from its JSON: every ImplementorPhase it upserted.
    const phases = recordedPhases(file);
    let attempt = 0;
    const expected = phases.map((p) => {
      if (p === 'validate') attempt++;
      return `extra config: ${p}${attempt ? ` #${attempt}` : ''}${p === 'awaiting-human' ? ' (waiting)' : ''}`;
    });
    assert.deepEqual(rows, ['extra config: queued', ...expected, `extra config: succeeded #${attempt}`]);
    // The story the recording tells: three validations, a question, a fourth that passes.
    const story = rows.filter((r) => /validate|awaiting|succeeded/.test(r));
    assert.deepEqual(story, ['#1', '#2', '#3'].map((n) => `extra config: validate ${n}`).concat(['extra config: awaiting-human #3 (waiting)', 'extra config: validate #4', 'extra config: succeeded #4']));
    assert.ok(rows.indexOf('extra config: implement:gitops') < rows.indexOf('extra config: validate #1'), 'the five implement phases come first');
    assert.ok(asks.length > 0 && asks.every((p) => p === 'awaiting-human'), 'a question of its own only while it waits');
    assert.equal(tracker.closed, 'completed');
  });

  it('a feature: its scopes from its input, each child started, its own question while merging (accepted), closed as accepted', async () => {
    const { rows, asks, facts, tracker } = await replay('feature-merge-conflict.json');
    assert.equal(tracker.feature, true);
    const started = facts.flatMap((f) => (f.kind === 'child-started' ? [f.workflowId] : []));
    assert.deepEqual(tracker.children.map((c) => c.workflowId).sort(), started.sort(), 'every scope of the input started');
    assert.ok(tracker.children.every((c) => c.workflowId.startsWith('feature-merge-conflict--')));
    assert.deepEqual(facts.filter((f) => f.kind === 'child-closed').map((f) => f.status), ['succeeded', 'succeeded']);
    assert.deepEqual(rows, [
      `${FEATURE_ROW}: queued`, `${FEATURE_ROW}: workspace`, `${FEATURE_ROW}: implementing`, `${FEATURE_ROW}: merging`,
      `${FEATURE_ROW}: awaiting-human (waiting)`, `${FEATURE_ROW}: merging`, `${FEATURE_ROW}: validating`, `${FEATURE_ROW}: committing`,
      `${FEATURE_ROW}: done`, `${FEATURE_ROW}: accepted`,
    ]);
    assert.ok(asks.length > 0 && asks.every((p) => p === 'awaiting-human'));
  });

  it('an agent\'s run: each batch of tool calls shows as it ran, in the phase it ran in, from the recorded events alone', async () => {
    const file = 'implementor-agent.json';
    const reader = new FactReader(defaultDataConverter, 'default', recordedWorkflowId(file));
    const tracker = new RunTracker(recordedWorkflowId(file));
    const history = historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')));
    const lines: string[] = [];
    for (const e of history.events ?? []) {
      for (const f of await reader.read(e)) if (tracker.apply(f) && tracker.progress.doing) lines.push(`${tracker.progress.phase} — ${tracker.progress.doing}`);
    }
    assert.deepEqual(lines, [
      'implement:agent — Glob **/kustomization.yaml (4)',
      'implement:agent — Read apps/production/kustomization.yaml · Read apps/base/catalog/deployment.yaml',
      'implement:agent — Read apps/base/catalog/db-secret.yaml · Grep "password" in apps (1 match)',
      'implement:agent — Write apps/production/replicas.yaml ✗',
      'implement:agent — Read ../../../etc/passwd ✗ · Read /etc/passwd ✗',
      'implement:agent — Write apps/production/replicas.yaml',
      'implement:agent — Edit apps/production/kustomization.yaml',
      'implement:agent — Validate: passes',
      'implement:agent — Finish',
    ]);
    assert.equal(tracker.progress.status, 'succeeded');
    assert.equal(tracker.progress.doing, undefined, 'a new phase clears the last tool line');
  });
});
