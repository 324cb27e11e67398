// overheadRatio: one implementor run through Temporal, end to end, divided by the same activities
// called directly in this process in the workflow's order (same model latency, same validators).
// Runs alternate so that drift in the machine's load hits both sides alike; medians are compared.
// Beside them, Temporal's floor for the same number of steps (bench/floor-workflow.ts): the overhead
// no workflow of that many sequential activities avoids on this server and machine.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, type ActivityDeps } from '../activities';
import { clearValidationCache } from '../validation';
import type { ImplementorReport, ValidationResult } from '../core/schemas';
import { IMPLEMENTOR_WORKFLOW } from '../workflows/messages';
import { workerDefaults, workflowBundleOptions } from '../worker/worker';
import { benchDeps, benchWorker, log, median, round, series, timed, workspace, type Lab, type Workspace } from './harness';
import { historyTiming, type HistoryTiming } from './history-timing';
import { AGENT_TURNS, startFixedLatencyLlm } from './llm';

export interface OverheadFigures {
  latencyMs: number;
  reps: number;
  temporalMs: number[];
  directMs: number[];
  temporalMedianMs: number;
  directMedianMs: number;
  /** CPU seconds of this process and its children per run (the dev server's own CPU is not included). */
  temporalCpuS: number[];
  directCpuS: number[];
  /** Medians of where the Temporal runs' time went, from their histories. */
  history: { activityMs: number; dispatchMs: number; orchestrationMs: number; serverMs: number; workflowTasks: number };
  /** The LLM's share of a run: the agent's turns at `latencyMs`. */
  llmFloorMs: number;
  /**
   * Temporal's floor (bench/floor-workflow.ts): the run's steps again, each only waiting as long as it
   * took; `overheadMs` is that workflow's length less its steps' (per rep), the cost no workflow of
   * those steps avoids on this server and machine.
   */
  floor: { steps: number; overheadMs: number[]; medianOverheadMs: number; workflowTasks: number };
  overheadRatio: number;
  /** The best overheadRatio a run of those steps can have here: (direct + the floor's overhead) / direct. */
  floorRatio: number;
}

/** A worker for the floor workflow: the production interceptors in its bundle, the production worker options. */
async function floorWorker(lab: Lab): Promise<{ worker: Worker; taskQueue: string }> {
  const workflowsPath = fileURLToPath(new URL('./floor-workflow.ts', import.meta.url));
  const { code } = await bundleWorkflowCode({ ...workflowBundleOptions(), workflowsPath, logger: new DefaultLogger('WARN') });
  const taskQueue = `bench-floor-${randomUUID()}`;
  const worker = await Worker.create({
    connection: lab.env.nativeConnection, namespace: lab.env.namespace ?? 'default', taskQueue,
    activities: { floorStep: async (ms: number) => { await sleep(ms); return ms; } },
    ...workerDefaults({ workflowBundle: { code }, shutdownGraceTime: '1s' }),
  });
  return { worker, taskQueue };
}

/** The workflow's happy path, activity by activity, without Temporal (an activity context only). */
export async function runDirect(deps: ActivityDeps, ws: Workspace, id: string): Promise<{ validations: ValidationResult[]; changed: string[] }> {
  const acts = createActivities(deps);
  const env = new MockActivityEnvironment();
  const call = <A, R>(fn: (arg: A) => Promise<R>, arg: A) => env.run<[A], R, typeof fn>(fn, arg);
  const { infraRoot, input } = ws;
  const loaded = await call(acts.loadContext, { infraRoot, files: input.files, implementer: input.implementer, ...(input.reposRoot ? { reposRoot: input.reposRoot } : {}) });
  const changed = new Set<string>();
  let conversation: string | undefined;
  // The agent's turns and their tool calls, as the workflow drives them, until it finishes.
  for (let turn = 0; ; turn++) {
    const key = `${id}/a1/t${turn}`;
    const r = await call(acts.agentTurn, { implementer: input.implementer, infraRoot, key, ...(conversation ? { conversation } : { ctx: { input, ref: loaded.ref } }) });
    if (r.kind !== 'reply') throw new Error(`the direct run's turn ${turn} was ${r.kind}`);
    const b = await call(acts.agentTools, { infraRoot, conversation: r.conversation, key: `${key}/tools`, touched: [...changed] });
    conversation = b.conversation;
    for (const w of b.written) changed.add(w.path);
    if (b.finish) break;
  }
  // The validation that passes carries the compliance checklist (no separate step on this path).
  const { validations } = await call(acts.validateChanges, { infraRoot, changedFiles: [...changed] });
  return { validations, changed: [...changed].sort() };
}

export function assertClean(what: string, validations: ValidationResult[]) {
  const failed = validations.filter((v) => v.status === 'fail');
  if (failed.length) throw new Error(`${what}: ${failed.length} validation(s) failed, the comparison would be unfair: ${failed[0]?.message}`);
}

export async function measureOverhead(lab: Lab, opts: { latencyMs: number; reps: number }): Promise<OverheadFigures> {
  const llm = await startFixedLatencyLlm(opts.latencyMs);
  const deps = benchDeps(llm.url);
  const { worker, taskQueue } = await benchWorker(lab, deps);
  const floor = await floorWorker(lab);
  const floorOverhead: number[] = [];
  const floorSplits: HistoryTiming[] = [];
  const viaTemporalRuns = series();
  const directRuns = series();
  const splits: HistoryTiming[] = [];
  try {
    await floor.worker.runUntil(() => worker.runUntil(async () => {
      // One warm-up of each side (JIT, kubectl's first start, the worker's first workflow), then the reps.
      for (let i = 0; i <= opts.reps; i++) {
        const label = i === 0 ? 'warm-up' : `rep ${i}/${opts.reps}`;
        const viaTemporal = await workspace(`overhead-t${i}`);
        clearValidationCache();
        let handle: WorkflowHandle | undefined;
        const t = await timed(async () => {
          handle = await lab.env.client.workflow.start(IMPLEMENTOR_WORKFLOW, {
            taskQueue, workflowId: `bench-overhead-${i}-${Date.now()}`, args: [viaTemporal.input],
          });
          return await handle.result() as ImplementorReport;
        });
        const split = historyTiming(await (handle as WorkflowHandle).fetchHistory());
        if (t.value.status !== 'succeeded') throw new Error(`the Temporal run ${t.value.status}: ${t.value.summary}`);
        assertClean('Temporal run', t.value.validations);

        const direct = await workspace(`overhead-d${i}`);
        clearValidationCache();
        const d = await timed(() => runDirect(deps, direct, `direct-${i}`));
        assertClean('direct run', d.value.validations);
        // Temporal alone: the run's steps again, each waiting as long as it took.
        let floorHandle: WorkflowHandle | undefined;
        const steps = split.activityDurationsMs;
        const f = await timed(async () => {
          floorHandle = await lab.env.client.workflow.start('orchestrationFloor', { taskQueue: floor.taskQueue, workflowId: `bench-floor-${i}-${Date.now()}`, args: [steps] });
          return await floorHandle.result() as number;
        });
        if (f.value !== steps.length) throw new Error(`the floor workflow ran ${f.value} of ${steps.length} steps`);
        const floorSplit = historyTiming(await (floorHandle as WorkflowHandle).fetchHistory());
        const floorOverheadMs = Math.round(f.ms - steps.reduce((a, b) => a + b, 0));
        log(`overhead ${label}: Temporal ${Math.round(t.ms)} ms (${t.cpuS.toFixed(2)} CPU-s; history: ${split.activityMs} ms in activities, ${split.dispatchMs} ms dispatch, ${split.orchestrationMs} ms between steps), direct ${Math.round(d.ms)} ms (${d.cpuS.toFixed(2)} CPU-s), Temporal's floor for its ${steps.length} steps ${floorOverheadMs} ms`);
        if (i > 0) {
          splits.push(split);
          viaTemporalRuns.add(t);
          directRuns.add(d);
          floorOverhead.push(floorOverheadMs);
          floorSplits.push(floorSplit);
        }
      }
    }));
  } finally {
    await llm.close();
  }
  const temporalMedianMs = median(viaTemporalRuns.ms);
  const directMedianMs = median(directRuns.ms);
  return {
    latencyMs: opts.latencyMs, reps: opts.reps, temporalMs: viaTemporalRuns.ms, directMs: directRuns.ms, temporalMedianMs, directMedianMs,
    temporalCpuS: viaTemporalRuns.cpuS, directCpuS: directRuns.cpuS,
    history: {
      activityMs: median(splits.map((x) => x.activityMs)), dispatchMs: median(splits.map((x) => x.dispatchMs)),
      orchestrationMs: median(splits.map((x) => x.orchestrationMs)), serverMs: median(splits.map((x) => x.serverMs)),
      workflowTasks: median(splits.map((x) => x.workflowTasks)),
    },
    llmFloorMs: AGENT_TURNS * opts.latencyMs,
    floor: { steps: median(splits.map((x) => x.activities)), overheadMs: floorOverhead, medianOverheadMs: median(floorOverhead), workflowTasks: median(floorSplits.map((x) => x.workflowTasks)) },
    overheadRatio: round(temporalMedianMs / directMedianMs), floorRatio: round((directMedianMs + median(floorOverhead)) / directMedianMs),
  };
}
