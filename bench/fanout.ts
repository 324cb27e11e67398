// fanoutRatio: a feature of `scopes` scopes through the parent workflow featureImplementor (one git
// worktree and one infrastructureImplementor child per scope, all at once, then merge, one validation
// of the merged tree and one commit) divided by the same feature with one scope, at a 2 s model
// latency (sequential children would be `scopes`). Beside it, in the same reps, directFanoutRatio:
// the same two features without Temporal, their activities called in this process in the
// workflows' order and concurrency (runDirectFeature). What the work alone loses to `scopes` scopes
// on this machine's cores, the Temporal feature cannot win back.
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, type ActivityDeps } from '../activities';
import type { FeatureInput, FeatureReport } from '../core/feature';
import { ImplementorInput, ImplementorOptions, ServiceSpec } from '../core/schemas';
import { FEATURE_WORKFLOW } from '../workflows/messages';
import { EXAMPLES, gitCopy } from '../test/helpers/repo';
import { benchDeps, benchWorkers, log, median, round, series, timed, type Lab } from './harness';
import { featureTiming, type FeatureTiming } from './history-timing';
import { startFixedLatencyLlm } from './llm';
import { assertClean, runDirect } from './overhead';

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
  /** The same features without Temporal (runDirectFeature), in the same reps. */
  direct: { oneScopeMs: number[]; allScopesMs: number[]; oneScopeMedianMs: number; allScopesMedianMs: number; oneScopeCpuS: number[]; allScopesCpuS: number[] };
  directFanoutRatio: number;
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

/**
 * A feature's happy path without Temporal, as featureImplementor runs it: the worktrees, every scope
 * at once (its agent run, as runDirect drives it, then its commit), the merge, one validation of the
 * merged tree, the commit, the worktrees removed. Each scope has an activity context of its own.
 */
export async function runDirectFeature(deps: ActivityDeps, input: FeatureInput, id: string): Promise<void> {
  const acts = createActivities(deps);
  const call = <A, R>(fn: (arg: A) => Promise<R>, arg: A) => new MockActivityEnvironment().run<[A], R, typeof fn>(fn, arg);
  const infraRoot = input.infraRoot as string;
  const slugs = input.scopes.map((s) => s.slug);
  const ws = await call(acts.createFeatureWorkspace, { infraRoot, workflowId: id, slugs, branch: input.branch });
  try {
    const landed = await Promise.all(input.scopes.map(async (s, i) => {
      const w = ws.scopes[i];
      if (!w) throw new Error(`no worktree for scope ${s.slug}`);
      const child = ImplementorInput.parse({
        featureDescription: input.feature, scope: s.scope, files: s.files, infraRoot: w.infraRoot, implementer: s.implementer,
        options: input.options, ...(s.spec ? { spec: s.spec } : {}), ...(input.reposRoot ? { reposRoot: input.reposRoot } : {}),
      });
      const { validations } = await runDirect(deps, { root: w.dir, infraRoot: w.infraRoot, input: child }, `${id}-${s.slug}`);
      assertClean(`direct scope ${s.slug}`, validations);
      const { changed } = await call(acts.commitScope, { dir: w.dir, base: ws.base, message: `${s.scope}` });
      return changed ? [{ branch: w.branch, scope: s.scope }] : [];
    }));
    const merged = await call(acts.mergeScopes, { dir: ws.merge.dir, scopes: landed.flat() });
    if (merged.conflict) throw new Error(`the direct merge of ${merged.conflict.branch} conflicts in ${merged.conflict.conflicts.join(', ')}`);
    assertClean('direct merged tree', (await call(acts.validateTree, { infraRoot: ws.merge.infraRoot })).validations);
    const { commit } = await call(acts.commitFeature, { dir: ws.merge.dir, base: ws.base, branch: input.branch, message: input.feature, gitRoot: ws.gitRoot });
    if (!commit) throw new Error('the direct feature committed nothing');
  } finally {
    await call(acts.removeFeatureWorkspace, { infraRoot, workflowId: id, slugs, deleteScopeBranches: true });
  }
}

export async function measureFanout(lab: Lab, opts: { scopes: number; latencyMs: number; reps: number }): Promise<FanoutFigures> {
  const llm = await startFixedLatencyLlm(opts.latencyMs);
  const deps = benchDeps(llm.url);
  const { workers, taskQueue } = await benchWorkers(lab, deps);
  const directOne = series();
  const directAll = series();
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
        const services = (tag: string, n: number) => Array.from({ length: n }, (_, s) => `fan-${i}-${tag}${s}`);
        const single = await fanoutFeature(`${i}-solo`, [`fan-${i}-solo`]);
        const one = await timed(() => run(single, `${i}-solo`));
        const many = await fanoutFeature(`${i}-all`, services('s', opts.scopes));
        const all = await timed(() => run(many, `${i}-all`));
        const split = featureTiming(await all.value.fetchHistory());
        const [soloInput, allInput] = [await fanoutFeature(`${i}-dsolo`, services('dsolo', 1)), await fanoutFeature(`${i}-dall`, services('d', opts.scopes))];
        const dOne = await timed(() => runDirectFeature(deps, soloInput, `direct-${i}-solo`));
        const dAll = await timed(() => runDirectFeature(deps, allInput, `direct-${i}-all`));
        log(`fanout ${label} without Temporal: one scope ${Math.round(dOne.ms)} ms (${dOne.cpuS.toFixed(2)} CPU-s), ${opts.scopes} scopes ${Math.round(dAll.ms)} ms (${dAll.cpuS.toFixed(2)} CPU-s)`);
        log(`fanout ${label}: one scope ${Math.round(one.ms)} ms (${one.cpuS.toFixed(2)} CPU-s), ${opts.scopes} scopes ${Math.round(all.ms)} ms (${all.cpuS.toFixed(2)} CPU-s; worktrees ${split.beforeChildrenMs} ms, children ${split.childrenMs} ms, after ${split.afterChildrenMs} ms: ${JSON.stringify(split.afterByActivity)})`);
        if (i > 0) {
          oneScopeSplit.push(featureTiming(await one.value.fetchHistory()));
          allScopesSplit.push(split);
          oneScope.add(one);
          allScopes.add(all);
          directOne.add(dOne);
          directAll.add(dAll);
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
    direct: {
      oneScopeMs: directOne.ms, allScopesMs: directAll.ms, oneScopeMedianMs: median(directOne.ms), allScopesMedianMs: median(directAll.ms),
      oneScopeCpuS: directOne.cpuS, allScopesCpuS: directAll.cpuS,
    },
    directFanoutRatio: round(median(directAll.ms) / median(directOne.ms)),
  };
}
