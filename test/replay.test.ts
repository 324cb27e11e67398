// Replay safety: every recorded history replays against today's workflow code, and a change that
// breaks determinism is caught. Re-record with `npm run record-histories`.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { WORKFLOWS_PATH, replayOptions } from '../worker/worker';
import { installRuntime } from '../worker/runtime';
import { SCOPE_COMMITS_ON_CLOSE } from '../workflows/feature';
import { FEWER_STEPS, FINDINGS_DRIVE_LOOP, MODEL_CALLS_ANYWHERE, OPEN_AND_LOAD, RUN_WORKSPACE, UNVALIDATED_STATUS } from '../workflows/implementor';
import { NOTIFY_HUMANS } from '../workflows/notices';
import { AGENT_IMPLEMENTER } from '../workflows/agent';
import { PULL_REQUEST } from '../workflows/pull-request';
import { HISTORIES_DIR, recordedWorkflowId } from './helpers/histories';
import { PROJECT_ROOT } from './helpers/repo';

/**
 * Every workflow path DESIGN.md names must have a recorded history, and runs recorded before a
 * versioned change (`name@vN.json`: recorded by the code before patch N) must keep replaying.
 */
const IMPLEMENTOR_PATHS = ['implementor-happy', 'implementor-fix-on-attempt-2', 'implementor-escalate-retry', 'implementor-escalate-accept', 'implementor-escalate-abort', 'implementor-deadline'];
const FEATURE_PATHS = ['feature-fanout', 'feature-merge-conflict'];
/** Runs from a Git remote: one implement run (pushed), one two-scope feature (each scope a run of its own). */
const REMOTE_PATHS = ['implementor-remote', 'feature-remote'];
/** Runs from a Git remote that open a pull request after the push (a real Gitea): one implement run, one feature. */
const PULL_REQUEST_PATHS = ['implementor-pull-request', 'feature-pull-request'];
/** The Claude implementer as an agent: turns, tool batches, a cut reply asked again, Finish, validation. */
const AGENT_PATHS = ['implementor-agent'];
const REQUIRED = [
  ...IMPLEMENTOR_PATHS, ...FEATURE_PATHS, ...REMOTE_PATHS, ...PULL_REQUEST_PATHS, ...AGENT_PATHS,
  ...FEATURE_PATHS.flatMap((n) => [`${n}@v1`, `${n}@v2`]),
  ...IMPLEMENTOR_PATHS.flatMap((n) => [`${n}@v1`, `${n}@v2`, `${n}@v3`]),
  // Recorded before OPEN_AND_LOAD (openWorkspace, then loadContext as a step of its own).
  'implementor-happy@v4', 'implementor-agent@v1',
];

function histories() {
  return readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({
      name: f.replace(/\.json$/, ''),
      workflowId: recordedWorkflowId(f),
      history: historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES_DIR, f), 'utf8'))),
    }));
}

async function replayAll(workflowsPath: string, list: ReturnType<typeof histories>) {
  const failures: string[] = [];
  for (const h of list) {
    for await (const result of Worker.runReplayHistories(replayOptions(workflowsPath), [h])) {
      if (result.error) failures.push(`${h.name}: ${result.error.message}`);
    }
  }
  return failures;
}

/** The patch ids a history recorded (MarkerRecorded events named core_patch). */
function patches(history: ReturnType<typeof histories>[number]['history']): string[] {
  return (history.events ?? []).flatMap((e) => {
    const m = e.markerRecordedEventAttributes;
    const id = m?.markerName === 'core_patch' ? m.details?.['patch-data']?.payloads?.[0]?.data : undefined;
    return id ? [JSON.parse(Buffer.from(id).toString('utf8')).id as string] : [];
  });
}

describe('replay of recorded histories', () => {
  installRuntime('WARN');
  const tmp = path.join(PROJECT_ROOT, 'test/.replay-tmp');
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('has a history for every path', () => {
    const names = histories().map((h) => h.name);
    for (const name of REQUIRED) assert.ok(names.includes(name), `missing test/histories/${name}.json`);
  });

  it('runs recorded before a version marker lack it and replay on the old path; new recordings carry it', () => {
    const byName = new Map(histories().map((h) => [h.name, h.history]));
    // Which runs asked a human (a notice went out: the notify-humans marker) is the scenario's own.
    const asks = (n: string) => /escalate|deadline|merge-conflict/.test(n);
    const current = [FEWER_STEPS, RUN_WORKSPACE, FINDINGS_DRIVE_LOOP, MODEL_CALLS_ANYWHERE];
    const expected: [string, string[]][] = [
      ...FEATURE_PATHS.flatMap((n): [string, string[]][] => [[`${n}@v1`, []], [`${n}@v2`, [SCOPE_COMMITS_ON_CLOSE]], [n, [SCOPE_COMMITS_ON_CLOSE, ...(asks(n) ? [NOTIFY_HUMANS] : [])]]]),
      ...IMPLEMENTOR_PATHS.flatMap((n): [string, string[]][] => [
        [`${n}@v1`, []], [`${n}@v2`, [FEWER_STEPS]], [`${n}@v3`, [FEWER_STEPS, RUN_WORKSPACE]],
        [n, n === 'implementor-happy' ? [...current, OPEN_AND_LOAD, UNVALIDATED_STATUS] : [...current, ...(asks(n) ? [NOTIFY_HUMANS] : [])]],
      ]),
      ['implementor-remote', current],
      ['implementor-pull-request', [...current, PULL_REQUEST]],
      ['feature-pull-request', [SCOPE_COMMITS_ON_CLOSE, PULL_REQUEST]],
      ['implementor-agent@v1', [...current, AGENT_IMPLEMENTER]],
      ['implementor-happy@v4', current],
      // Re-recorded with OPEN_AND_LOAD (the workspace opened and the context loaded in one step).
      ['implementor-agent', [...current, OPEN_AND_LOAD, AGENT_IMPLEMENTER, UNVALIDATED_STATUS]],
    ];
    for (const [name, markers] of expected) assert.deepEqual(patches(byName.get(name) ?? {}), markers, name);
  });

  it('every recorded history replays without a determinism error', async () => {
    assert.deepEqual(await replayAll(WORKFLOWS_PATH, histories()), []);
  });

  it('a reordered activity call in the workflow is caught as nondeterminism', async () => {
    // The workflow with its first two activities scheduled the other way round, bundled from a
    // scratch folder inside the project.
    const source = readFileSync(path.join(PROJECT_ROOT, 'workflows/implementor.ts'), 'utf8');
    const load = '      loaded = await Promise.all([readScope(), survey()]);';
    assert.ok(source.includes(load), 'the load step is where this test expects it');
    const broken = source
      .replace(load, '      loaded = await Promise.all([survey(), readScope()]).then(([p, s]) => [s, p]);')
      .replaceAll("from '../", `from '${PROJECT_ROOT}/`)
      .replaceAll("from './", `from '${PROJECT_ROOT}/workflows/`);
    mkdirSync(tmp, { recursive: true });
    writeFileSync(path.join(tmp, 'index.ts'), broken);
    const failures = await replayAll(path.join(tmp, 'index.ts'), histories().filter((h) => h.name === 'implementor-happy@v2'));
    assert.equal(failures.length, 1);
    assert.match(failures[0] ?? '', /[Nn]ondetermin/);
  });
});
