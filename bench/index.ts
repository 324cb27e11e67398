// `npm run bench -- [--quick] [--json]`: what users pay for, side by side in one run, as ratios
// (the machine is shared and noisy; ratios of runs taken together survive that better than times).
// `--quick` shrinks repetitions and sizes to finish in a few minutes; `--json` prints one object;
// `--only=overhead,fanout,throughput,replay,validation,launcher` runs a subset.
import os from 'node:os';
import { log, median, type Lab, startLab, withResultOnStdout, writeResult } from './harness';
import { measureOverhead, type OverheadFigures } from './overhead';
import { measureFanout, type FanoutFigures } from './fanout';
import { measureThroughput, type ThroughputFigures } from './throughput';
import { measureReplay, type ReplayFigures } from './replay';
import { runValidationBench, type ValidationFigures } from './validation.bench';
import { measureSpawn, type SpawnFigures } from './spawn';

const quick = process.argv.includes('--quick');
const json = process.argv.includes('--json');
// `--only overhead,replay` runs a subset (the others report an error saying they were skipped).
const onlyArg = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const only = onlyArg ? new Set(onlyArg.split(',')) : undefined;

const SIZES = quick
  ? { overheadReps: 2, fanoutReps: 1, throughputRuns: 40, services: 20, replayReps: 3, launcherRounds: 3 }
  : { overheadReps: 5, fanoutReps: 3, throughputRuns: 100, services: 200, replayReps: 10, launcherRounds: 7 };

function machine() {
  return {
    date: new Date().toISOString(),
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: +(os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverage: os.loadavg().map((x) => +x.toFixed(2)),
  };
}

type Outcome<T> = T | { error: string };
async function attempt<T>(name: string, fn: () => Promise<T>): Promise<Outcome<T>> {
  if (only && !only.has(name)) return { error: 'skipped (--only)' };
  const started = performance.now();
  log(`${name}…`);
  try {
    const value = await fn();
    log(`${name} done in ${Math.round((performance.now() - started) / 1000)} s`);
    return value;
  } catch (e) {
    log(`${name} FAILED: ${(e as Error).stack ?? String(e)}`);
    return { error: (e as Error).message };
  }
}
const ok = <T extends object>(o: Outcome<T>): T | undefined => ('error' in o ? undefined : o);

async function main(): Promise<number> {
  const before = machine();
  const lab: Lab = await startLab();
  let overhead: Outcome<OverheadFigures>, fanout: Outcome<FanoutFigures>, throughput: Outcome<ThroughputFigures>;
  let replay: Outcome<ReplayFigures>;
  try {
    replay = await attempt('replay', () => measureReplay(lab, { reps: SIZES.replayReps }));
    overhead = await attempt('overhead', () => measureOverhead(lab, { latencyMs: 1000, reps: SIZES.overheadReps }));
    fanout = await attempt('fanout', () => measureFanout(lab, { scopes: 8, latencyMs: 2000, reps: SIZES.fanoutReps }));
    throughput = await attempt('throughput', () => measureThroughput(lab, { runs: SIZES.throughputRuns, latencyMs: 500 }));
  } finally {
    await lab.env.teardown();
  }
  const validation: Outcome<ValidationFigures> = await attempt('validation', () => runValidationBench(SIZES.services));
  // Last: it grows this process to a loaded worker's size. 350 MB: the production worker's peak at 100 runs.
  const launcher: Outcome<SpawnFigures> = await attempt('launcher', () => measureSpawn({ rssMb: 350, commands: 40, rounds: SIZES.launcherRounds }));
  const after = machine();

  const o = ok(overhead), f = ok(fanout), t = ok(throughput), r = ok(replay), v = ok(validation), l = ok(launcher);
  const result = {
    mode: quick ? 'quick' : 'full',
    overheadRatio: o?.overheadRatio ?? null,
    overheadFloorRatio: o?.floorRatio ?? null,
    fanoutRatio: f?.fanoutRatio ?? null,
    directFanoutRatio: f?.directFanoutRatio ?? null,
    incrementalRatio: v?.incrementalRatio ?? null,
    fullVsFluxRecipe: v?.fullVsFluxRatio ?? null,
    throughput: t ? { runs: t.runs, completed: t.completed, succeeded: t.succeeded, completionsPerMinute: t.completionsPerMinute, peakRssMb: Math.max(t.peakRssMb, t.hwmRssMb) } : throughput,
    replay: r ? { history: r.history, events: r.events, ms: r.medianMs, firstMs: r.firstMs } : replay,
    launcherRatio: l?.launcherRatio ?? null,
    details: { overhead, fanout, throughput, replay, validation, launcher },
    machine: { ...before, loadAverageAfter: after.loadAverage, finishedAt: after.date },
  };
  const failed = [overhead, fanout, throughput, replay, validation, launcher].some((x) => 'error' in x && x.error !== 'skipped (--only)');
  if (json) {
    writeResult(`${JSON.stringify(result, null, 2)}\n`);
    return failed ? 1 : 0;
  }

  const mark = (met: boolean | undefined) => (met === undefined ? 'n/a' : met ? 'met' : 'MISSED');
  const rows: [string, string, string, string, string][] = [
    // Targets are issue 23's, judged on the unrounded ratios: a 1.0203 is not "≤ 1.02".
    ['overheadRatio', String(result.overheadRatio), '≤ 1.02', mark(o && o.temporalMedianMs / o.directMedianMs <= 1.02),
      o ? `Temporal ${o.temporalMedianMs} ms / direct ${o.directMedianMs} ms (median of ${o.reps}; LLM ${o.llmFloorMs} ms); Temporal run's history: ${o.history.activityMs} ms in activities, ${o.history.dispatchMs} ms activity dispatch, ${o.history.orchestrationMs} ms between steps (${o.history.workflowTasks} workflow tasks); Temporal's floor for its ${o.floor.steps} steps (each only waiting as long, production options) ${o.floor.medianOverheadMs} ms, so at best ${o.floorRatio}` : err(overhead)],
    ['fanoutRatio', String(result.fanoutRatio), '≤ 1.10', mark(f && f.allScopesMedianMs / f.oneScopeMedianMs <= 1.1),
      f ? `${f.scopes} scopes ${f.allScopesMedianMs} ms / one scope ${f.oneScopeMedianMs} ms (median of ${f.reps}, ${f.latencyMs} ms latency, featureImplementor); ${splitText(f)}; the same work without Temporal: ${f.direct.allScopesMedianMs} / ${f.direct.oneScopeMedianMs} ms = ${f.directFanoutRatio} (CPU ${median(f.direct.allScopesCpuS)} vs ${median(f.direct.oneScopeCpuS)} CPU-s)` : err(fanout)],
    ['incrementalRatio', String(result.incrementalRatio), '≤ 0.10', mark(v && v.incrementalRatio <= 0.1),
      v ? `one-file change ${v.incrementalMs} ms (${v.incrementalBuilds} builds) / full ${v.fullMs} ms (${v.fullBuilds} builds), ${v.services}×3 overlays` : err(validation)],
    ['fullVsFluxRecipe', String(result.fullVsFluxRecipe), '(< 1 is faster)', 'n/a',
      v ? `full ${v.fullMs} ms / sequential kubectl kustomize ${v.fluxRecipeMs} ms (the same ${v.fluxRecipeBuilds} targets)` : err(validation)],
    ['throughput', t ? `${t.completionsPerMinute}/min` : 'null', 'all complete', mark(t && t.succeeded === t.runs),
      t ? `${t.succeeded}/${t.runs} succeeded in ${t.wallMs} ms at ${t.latencyMs} ms latency, one worker process` : err(throughput)],
    ['worker peak RSS', t ? `${Math.max(t.peakRssMb, t.hwmRssMb)} MB` : 'null', '≤ 300 MB', mark(t && Math.max(t.peakRssMb, t.hwmRssMb) <= 300),
      t ? `\`node dist/infra-implementor.mjs worker\` (production build) and its launcher process (worker VmRSS + launcher anonymous memory): polled max ${t.peakRssMb} MB (launcher ${t.launcher.atPeakAnonMb} MB anonymous of ${t.launcher.atPeakMb} MB resident), with VmHWM ${t.hwmRssMb} MB, idle when ready ${t.startRssMb} MB; at peak anonymous ${t.atPeak.anonMb} MB, mapped files ${t.atPeak.fileMb} MB; plain sum of both VmRSS at most ${t.launcher.peakSumOfRssMb} MB` : err(throughput)],
    ['launcherRatio', String(result.launcherRatio), '(< 1 is cheaper)', 'n/a',
      l ? `event loop blocked per command: launcher ${l.launcherBlockedMs} ms / in-process execa ${l.inlineBlockedMs} ms at ${l.rssMb} MB resident (git --version, ${l.commands} per round, median of ${SIZES.launcherRounds} rounds; wall ${l.launcherWallMs} vs ${l.inlineWallMs} ms per command)` : err(launcher)],
    ['replay', r ? `${r.medianMs} ms` : 'null', '—', 'n/a',
      r ? `${r.history} (${r.events} events), median of ${r.reps}; first ${r.firstMs} ms` : err(replay)],
  ];
  const width = (i: number) => Math.max(...rows.map((row) => row[i]?.length ?? 0), ['metric', 'measured', 'target', 'status'][i]?.length ?? 0);
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i < 4 ? c.padEnd(width(i)) : c)).join(' | ')} |`;
  process.stdout.write([
    `infra-implementor bench (${result.mode}) — ${before.date}`,
    `machine: ${before.nproc} cores (${before.cpu}), ${before.memoryGb} GB, node ${before.node}, ${before.platform}; load average ${before.loadAverage.join(' ')} → ${after.loadAverage.join(' ')}`,
    '',
    line(['metric', 'measured', 'target', 'status', 'detail']),
    line(['---', '---', '---', '---', '---']),
    ...rows.map(line),
  ].join('\n') + '\n');
  return failed ? 1 : 0;
}

/** Worktrees / children / merge-validate-commit of the 8-scope and 1-scope features, medians. */
function splitText(f: FanoutFigures): string {
  const part = (xs: FanoutFigures['allScopesSplit']) =>
    `${median(xs.map((x) => x.beforeChildrenMs))} + ${median(xs.map((x) => x.childrenMs))} + ${median(xs.map((x) => x.afterChildrenMs))} ms`;
  return `worktrees + children + merge/validate/commit: ${f.scopes} scopes ${part(f.allScopesSplit)}, one scope ${part(f.oneScopeSplit)}; CPU ${median(f.allScopesCpuS)} vs ${median(f.oneScopeCpuS)} CPU-s on ${f.cores} cores`;
}

function err(o: object): string {
  return 'error' in o ? `error: ${String(o.error)}` : '';
}

process.exitCode = json ? await withResultOnStdout(main) : await main();
