// fanoutRatio: a feature of `scopes` scopes through the parent workflow featureImplementor (one git
// worktree and one infrastructureImplementor child per scope, all at once, then merge, one validation
// of the merged tree and one commit) divided by the same feature with one scope, at a 2 s model
// latency (sequential children would be `scopes`).
import os from 'node:os';
import path from 'node:path';
import type { FeatureInput, FeatureReport } from '../core/feature';
import { ImplementorOptions, ServiceSpec } from '../core/schemas';
import { FEATURE_WORKFLOW } from '../workflows/messages';
import { EXAMPLES, gitCopy } from '../test/helpers/repo';
import { benchDeps, benchWorkers, log, median, round, series, timed, type Lab } from './harness';
import { featureTiming, type FeatureTiming } from './history-timing';
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
  /** CPU seconds (this process, its worker and its children: git, kubectl) of each feature. */
  oneScopeCpuS: number[];
  allScopesCpuS: number[];
  cores: number;
  /** From the parent's history of each measured feature: worktrees, children, then merge/validate/commit. */
  oneScopeSplit: FeatureTiming[];
  allScopesSplit: FeatureTiming[];
  fanoutRatio: number;
}

/** A feature adding `services` to a fresh copy of examples/; a stuck run gives up within minutes. */
export async function fanoutFeature(id: string, services: string[]): Promise<FeatureInput> {
  const root = await gitCopy(EXAMPLES);
  return {
    feature: `Add ${services.length} service(s) (${id})`,
    infraRoot: path.join(root, 'infra'),
    reposRoot: root,
    branch: `infra/bench-${id}`,
    scopes: services.map((s) => ({
      scope: `${s} service`, slug: s, files: [], implementer: 'anthropic',
      spec: ServiceSpec.parse({ service: s, image: `ghcr.io/acme/${s}:1.0.0`, port: 8080 }),
    })),
    options: ImplementorOptions.parse({ humanDeadline: '2m', deadlineAction: 'abort' }),
  };
}

export async function measureFanout(lab: Lab, opts: { scopes: number; latencyMs: number; reps: number }): Promise<FanoutFigures> {
  const llm = await startFixedLatencyLlm(opts.latencyMs);
  const { workers, taskQueue } = await benchWorkers(lab, benchDeps(llm.url));
  const oneScope = series();
  const allScopes = series();
  const oneScopeSplit: FeatureTiming[] = [];
  const allScopesSplit: FeatureTiming[] = [];
  const run = async (input: FeatureInput, id: string) => {
    const handle = await lab.env.client.workflow.start(FEATURE_WORKFLOW, {
      taskQueue, workflowId: `bench-fanout-${id}-${Date.now()}`, args: [input],
    });
    const report = await handle.result() as FeatureReport;
    if (report.status !== 'succeeded') throw new Error(`the ${input.scopes.length}-scope feature ${report.status}: ${report.summary}`);
    return handle;
  };
  try {
    await workers.runUntil(async () => {
      for (let i = 0; i <= opts.reps; i++) {
        const label = i === 0 ? 'warm-up' : `rep ${i}/${opts.reps}`;
        const single = await fanoutFeature(`${i}-solo`, [`fan-${i}-solo`]);
        const one = await timed(() => run(single, `${i}-solo`));
        const many = await fanoutFeature(`${i}-all`, Array.from({ length: opts.scopes }, (_, s) => `fan-${i}-s${s}`));
        const all = await timed(() => run(many, `${i}-all`));
        const split = featureTiming(await all.value.fetchHistory());
        log(`fanout ${label}: one scope ${Math.round(one.ms)} ms (${one.cpuS.toFixed(2)} CPU-s), ${opts.scopes} scopes ${Math.round(all.ms)} ms (${all.cpuS.toFixed(2)} CPU-s; worktrees ${split.beforeChildrenMs} ms, children ${split.childrenMs} ms, after ${split.afterChildrenMs} ms: ${JSON.stringify(split.afterByActivity)})`);
        if (i > 0) {
          oneScopeSplit.push(featureTiming(await one.value.fetchHistory()));
          allScopesSplit.push(split);
          oneScope.add(one);
          allScopes.add(all);
        }
      }
    });
  } finally {
    await llm.close();
  }
  const oneScopeMedianMs = median(oneScope.ms);
  const allScopesMedianMs = median(allScopes.ms);
  return {
    shape: `featureImplementor with ${opts.scopes} scopes vs the same with 1 scope (worktrees, children, merge, one validation, commit)`,
    scopes: opts.scopes, latencyMs: opts.latencyMs, reps: opts.reps, oneScopeMs: oneScope.ms, allScopesMs: allScopes.ms, oneScopeMedianMs, allScopesMedianMs,
    oneScopeCpuS: oneScope.cpuS, allScopesCpuS: allScopes.cpuS, cores: os.availableParallelism(), oneScopeSplit, allScopesSplit, fanoutRatio: round(allScopesMedianMs / oneScopeMedianMs),
  };
}
