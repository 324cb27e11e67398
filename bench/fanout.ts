// fanoutRatio: the wall time of `scopes` scopes run in parallel divided by the wall time of one scope
// alone, at a 2 s model latency (sequential would be `scopes`). Fallback shape while the feature
// workflow does not exist: the bench itself starts one implementor workflow per scope, each on its
// own copy of the repository, as a parent would start its children.
import os from 'node:os';
import type { ImplementorReport } from '../core/schemas';
import { IMPLEMENTOR_WORKFLOW } from '../workflows/messages';
import { benchDeps, benchWorker, log, median, round, timed, workspace, type Lab, type Workspace } from './harness';
import { startFixedLatencyLlm } from './llm';

export interface FanoutFigures {
  shape: string;
  scopes: number;
  latencyMs: number;
  reps: number;
  oneScopeMs: number[];
  allScopesMs: number[];
  oneScopeMedianMs: number;
  allScopesMedianMs: number;
  /** CPU seconds (this process, its worker and its children) of one scope and of all scopes. */
  oneScopeCpuS: number[];
  allScopesCpuS: number[];
  cores: number;
  fanoutRatio: number;
}

export async function measureFanout(lab: Lab, opts: { scopes: number; latencyMs: number; reps: number }): Promise<FanoutFigures> {
  const llm = await startFixedLatencyLlm(opts.latencyMs);
  const { worker, taskQueue } = await benchWorker(lab, benchDeps(llm.url));
  const oneScopeMs: number[] = [];
  const allScopesMs: number[] = [];
  const oneScopeCpuS: number[] = [];
  const allScopesCpuS: number[] = [];
  const run = (ws: Workspace, id: string) => lab.env.client.workflow.execute(IMPLEMENTOR_WORKFLOW, {
    taskQueue, workflowId: `bench-fanout-${id}-${Date.now()}`, args: [ws.input],
  }) as Promise<ImplementorReport>;
  const check = (reports: ImplementorReport[]) => {
    const bad = reports.find((r) => r.status !== 'succeeded');
    if (bad) throw new Error(`a fan-out scope ${bad.status}: ${bad.summary}`);
  };
  try {
    await worker.runUntil(async () => {
      for (let i = 0; i <= opts.reps; i++) {
        const label = i === 0 ? 'warm-up' : `rep ${i}/${opts.reps}`;
        const single = await workspace(`fan-${i}-solo`);
        const one = await timed(() => run(single, `${i}-solo`));
        check([one.value]);
        const spaces: Workspace[] = [];
        for (let s = 0; s < opts.scopes; s++) spaces.push(await workspace(`fan-${i}-s${s}`));
        const all = await timed(() => Promise.all(spaces.map((ws, s) => run(ws, `${i}-s${s}`))));
        check(all.value);
        log(`fanout ${label}: one scope ${Math.round(one.ms)} ms (${one.cpuS.toFixed(2)} CPU-s), ${opts.scopes} scopes ${Math.round(all.ms)} ms (${all.cpuS.toFixed(2)} CPU-s)`);
        if (i > 0) {
          oneScopeMs.push(Math.round(one.ms));
          allScopesMs.push(Math.round(all.ms));
          oneScopeCpuS.push(round(one.cpuS, 2));
          allScopesCpuS.push(round(all.cpuS, 2));
        }
      }
    });
  } finally {
    await llm.close();
  }
  const oneScopeMedianMs = median(oneScopeMs);
  const allScopesMedianMs = median(allScopesMs);
  return {
    shape: `${opts.scopes} infrastructureImplementor workflows started at once by the bench (no featureImplementor yet)`,
    scopes: opts.scopes, latencyMs: opts.latencyMs, reps: opts.reps, oneScopeMs, allScopesMs, oneScopeMedianMs, allScopesMedianMs,
    oneScopeCpuS, allScopesCpuS, cores: os.availableParallelism(),
    fanoutRatio: round(allScopesMedianMs / oneScopeMedianMs),
  };
}
