// Crash anywhere, lose nothing: the implementor's worker runs in a child process that is SIGKILLed
// as a step starts (a phase boundary), while a change set is half written, and after a step did
// its work but before its result was reported; a new worker process takes over each time. Every
// run must end with the tree, the report and the per-file sequence of written contents of an
// undisturbed run, and must not redo a step that had completed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { PHASES, type ImplementorReport } from '../core/schemas';
import { answerUpdate, IMPLEMENTOR_WORKFLOW } from '../workflows/messages';
import {
  comparable, contents, scenarioAnswer, scenarioInput, SCENARIOS, waitForQuestion, type Implementor, type Scenario,
} from './helpers/crash-run';
import { EXAMPLES, gitCopy, snapshot } from './helpers/repo';
import { startTestServer, type TestServer } from './helpers/temporal';
import { bundleCrashWorkflows, startWorkerProcess, type WorkerProcess } from './helpers/worker-process';

/** A kill point that is not an activity: the run waits for a human answer. */
const AWAITING_HUMAN = 'awaiting-human';

interface Outcome {
  repo: string;
  report: ImplementorReport;
  tree: Record<string, string>;
  events: string[];
}

/** What a kill costs in time is measured by `npm run bench:crash` (bench/crash.ts), not here. */

describe('crash anywhere, lose nothing: SIGKILLed workers', { concurrency: 4 }, () => {
  let server: TestServer;
  let bundle: string;
  const reference = {} as Record<Scenario, Outcome>;

  /** Run a scenario, killing the worker at each point in turn and starting a new one after each kill. */
  async function run(scenario: Scenario, kills: string[] = []): Promise<Outcome> {
    const answer = scenarioAnswer(scenario);
    const repo = await gitCopy(EXAMPLES);
    const infraRoot = path.join(repo, 'infra');
    const events: string[] = [];
    const common = {
      address: server.env.connection.options.address as string,
      taskQueue: `crash-${randomUUID()}`,
      stateDir: mkdtempSync(path.join(os.tmpdir(), 'ii-state-')),
      bundle,
      watchRoot: infraRoot,
      events,
    };
    const spawnHolding = (point?: string) => startWorkerProcess({ ...common, ...(point ? { holdAt: point } : {}) });
    const input = scenarioInput(scenario, infraRoot);
    let worker: WorkerProcess = await spawnHolding(kills[0]);
    try {
      const handle: WorkflowHandle<Implementor> = await server.env.client.workflow.start(IMPLEMENTOR_WORKFLOW, {
        taskQueue: common.taskQueue, workflowId: `crash-${scenario}-${randomUUID()}`, args: [input],
      });
      let answered = false;
      for (const [i, point] of kills.entries()) {
        if (point === AWAITING_HUMAN) await waitForQuestion(handle);
        else await worker.waitFor(`hold ${point}`);
        await worker.kill();
        events.push(`killed at ${point}`);
        worker = await spawnHolding(kills[i + 1]);
        if (point === AWAITING_HUMAN && answer) {
          // Answered only once the new worker runs: the question survived the crash.
          await handle.executeUpdate(answerUpdate, { args: [answer] });
          answered = true;
        }
      }
      if (answer && !answered) {
        await waitForQuestion(handle);
        await handle.executeUpdate(answerUpdate, { args: [answer] });
      }
      const report = await handle.result();
      return { repo, report, tree: snapshot(repo), events };
    } finally {
      await worker.kill();
    }
  }

  before(async () => {
    server = await startTestServer();
    bundle = await bundleCrashWorkflows();
    await Promise.all((Object.keys(SCENARIOS) as Scenario[]).map(async (s) => { reference[s] = await run(s); }));
  });
  after(async () => { await server?.stop(); });

  it('the undisturbed reference runs succeed (scaffold on attempt 1, fixable on attempt 2, a human retry after attempt 1)', () => {
    assert.equal(reference.scaffold.report.status, 'succeeded', reference.scaffold.report.summary);
    assert.equal(reference.scaffold.report.attempts, 1);
    assert.equal(reference.fix.report.status, 'succeeded', reference.fix.report.summary);
    assert.equal(reference.fix.report.attempts, 2);
    assert.equal(reference.human.report.status, 'succeeded', reference.human.report.summary);
    assert.deepEqual(reference.human.report.humanAnswers, [SCENARIOS.human.answer]);
    assert.ok(reference.scaffold.report.filesCreated.includes('apps/base/orders/deployment.yaml'));
  });

  const cases: { name: string; scenario: Scenario; kills: (ref: Outcome) => string[] }[] = [
    // The run's first step opens the workspace and loads the scope and the patterns there (OPEN_AND_LOAD).
    { name: 'workspace, scope and patterns: killed as openWorkspace starts, then after the workspace was opened and the context read and stored', scenario: 'scaffold', kills: (r) => around(r, 'openWorkspace') },
    ...PHASES.map((phase) => ({
      name: `implement:${phase}: killed as the phase starts, after the proposal, with its change set ${phase === 'base' ? 'torn mid-file, ' : ''}half written and fully written`,
      scenario: 'scaffold' as const,
      kills: (r: Outcome) => [...around(r, 'proposePhase', phase), ...applying(r, `-${phase}`, phase === 'base')],
    })),
    { name: 'validate, compliance and report: killed as validateChanges starts, then after the validators and the checklist ran, before the report', scenario: 'scaffold', kills: (r) => around(r, 'validateChanges') },
    {
      name: 'fix: killed around the fix proposal, while the fix is written (mid-file too), and around the second validation',
      scenario: 'fix',
      kills: (r) => [...around(r, 'proposeFix'), ...applying(r, '-fix-1', true), ...around(r, 'validateChanges', undefined, 1)],
    },
    {
      name: 'awaiting a human: killed while the run waits, answered after the restart, killed again in the guided fix',
      scenario: 'human',
      kills: (r) => [AWAITING_HUMAN, ...around(r, 'proposeFix')],
    },
  ];

  for (const c of cases) {
    it(c.name, { timeout: 180_000 }, async () => {
      const ref = reference[c.scenario];
      const kills = c.kills(ref);
      assert.ok(kills.length >= 2, `kill points found in the reference trace: ${kills.join(', ')}`);
      const crashed = await run(c.scenario, kills);
      const trace = `\nkills: ${kills.join(', ')}\nevents:\n${crashed.events.join('\n')}`;
      assert.deepEqual(comparable(crashed.report, crashed.repo), comparable(ref.report, ref.repo), `the report equals the undisturbed run's${trace}`);
      assert.deepEqual(crashed.tree, ref.tree, `the tree equals the undisturbed run's byte for byte${trace}`);
      assert.deepEqual(contents(crashed.events), contents(ref.events), `each file went through the same contents as in the undisturbed run${trace}`);
      const got = starts(crashed.events);
      const { expected, tolerated } = expectedStarts(ref.events, kills, crashed.events);
      for (const id of tolerated) if (got[id] === (expected[id] ?? 0) + 1) expected[id] = got[id] as number;
      assert.deepEqual(got, expected, `each killed step ran once more (with any step running beside it), no completed step ran again${trace}`);
    });
  }
});

// ---- reading the reference trace ----------------------------------------------------------------

interface Step { id: string; label: string; events: string[] }

/** The activities of a trace in order (first attempt), each with the events it produced. */
function steps(events: string[]): Step[] {
  const out: Step[] = [];
  for (const e of events) {
    const m = /^start (\S+) 1(?: (\S+))?$/.exec(e);
    if (m) out.push({ id: m[1] as string, label: m[2] ?? '', events: [] });
    else out.at(-1)?.events.push(e);
  }
  return out;
}

function step(ref: Outcome, type: string, label?: string, nth = 0): Step | undefined {
  return steps(ref.events).filter((s) => s.id.startsWith(`${type}#`) && (label === undefined || s.label.endsWith(label)))[nth];
}

/** As the step starts (the boundary after the previous one completed) and once its work is done, unreported. */
function around(ref: Outcome, type: string, label?: string, nth = 0): string[] {
  const s = step(ref, type, label, nth);
  return s ? [`start:${s.id}`, `end:${s.id}`] : [];
}

/**
 * A change set after its first file was replaced, and once fully written but unreported; with
 * `torn`, first between its first temporary file and the rename that puts it in place.
 */
function applying(ref: Outcome, label: string, torn = false): string[] {
  const s = step(ref, 'applyChangeSet', label);
  if (!s) return []; // a phase with nothing to write applies no change set
  const first = s.events.find((e) => e.startsWith('write '))?.split(' ')[1];
  if (!first) return [`end:${s.id}`];
  return [...(torn ? [`before-write:${s.id}:${first}`] : []), `write:${s.id}:${first}`, `end:${s.id}`];
}

// ---- comparing runs -------------------------------------------------------------------------------

/** How many attempts of each activity started. */
function starts(events: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of events) {
    const m = /^start (\S+)/.exec(e);
    if (m) out[m[1] as string] = (out[m[1] as string] ?? 0) + 1;
  }
  return out;
}

/**
 * Activities the run starts without waiting for them (notices to people): their completion may still
 * be on its way when a later step starts, so a kill at any later point may cost them one more attempt.
 */
const UNAWAITED = /^notifyHumans#/;

/**
 * One attempt per step of the undisturbed run, plus one per kill inside that step. Steps run in
 * parallel (the scope read beside the survey) share a killed one's fate: one still running when the
 * worker died runs once more; one that finished while the killed step ran may have had its result
 * reported or not when the worker died, so it may run once more (`tolerated`). A step that finished
 * before the killed one started never runs again, unless the run did not wait for it (UNAWAITED:
 * Temporal runs an activity at least once, and nothing orders its completion before the kill). A
 * kill while the run waits for a person (no step held) costs the steps still running one more
 * attempt, and may cost the notices that finished one more.
 */
function expectedStarts(refEvents: string[], kills: string[], crashedEvents: string[]): { expected: Record<string, number>; tolerated: Set<string> } {
  const expected = starts(refEvents);
  const tolerated = new Set<string>();
  const bump = (id: string) => { expected[id] = (expected[id] ?? 0) + 1; };
  for (const k of kills) {
    const id = /^(?:start|end|write|before-write):([^:]+)/.exec(k)?.[1];
    if (id) bump(id);
  }
  let life: string[] = [];
  for (const e of crashedEvents) {
    if (e === 'ready') life = [];
    life.push(e);
    const at = /^killed at (.+)$/.exec(e)?.[1];
    if (!at) continue;
    const killed = /^(?:start|end|write|before-write):([^:\s]+)/.exec(at)?.[1];
    const killedFrom = life.findIndex((x) => x.startsWith(`start ${killed} `));
    const ended = new Map<string, number>();
    const started = new Set<string>();
    life.forEach((x, i) => {
      const s = /^start (\S+)/.exec(x)?.[1];
      if (s) started.add(s);
      const d = /^end (\S+)/.exec(x)?.[1];
      if (d) ended.set(d, i);
    });
    for (const id of started) {
      if (id === killed) continue;
      if (!ended.has(id)) bump(id);
      else if (UNAWAITED.test(id) || (killedFrom >= 0 && (ended.get(id) as number) > killedFrom)) tolerated.add(id);
    }
  }
  return { expected, tolerated };
}
