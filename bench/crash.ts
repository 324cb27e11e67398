// `npm run bench:crash [-- --kills=6] [--variants=sigkill,sigkill-2s,sigterm,sigterm-0s] [--json]`: what
// a dead worker costs a run. A worker process on the production options (test/helpers/worker-main.ts,
// the crash tests' worker) runs the scaffold scenario; it is stopped while it runs one of the run's
// activities (held there, beating as a live worker does, for HOLD_MS), then a successor starts at
// once with the same state dir, as a restarted pod does. Per kill: the run's extra time over the
// median undisturbed run (less the hold), and from the signal to the activity's retry starting on the
// successor. The kill points are the run's activity types in order, from an undisturbed run's trace.
// Heartbeats are counted on the dev server (RecordActivityTaskHeartbeat requests on its /metrics)
// while an activity is held, per activity-second.
//   sigkill     SIGKILL, production options and bundle (heartbeat timeout LIVENESS_TIMEOUT, 5 s)
//   sigkill-2s  SIGKILL, the bundle with a 2 s heartbeat timeout
//   sigterm     SIGTERM, production options (running activities get shutdownGraceTime, 30 s)
//   sigterm-0s  SIGTERM to a worker with shutdownGraceTime 0: it cancels its activities at once
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { installRuntime } from '../worker/runtime';
import { startDevServer } from '../worker/temporal-server';
import { workflowBundleOptions } from '../worker/worker';
import { IMPLEMENTOR_WORKFLOW } from '../workflows/messages';
import { LIVENESS_TIMEOUT } from '../workflows/liveness';
import { scenarioInput } from '../test/helpers/crash-run';
import { freePort } from '../test/helpers/net';
import { EXAMPLES, gitCopy } from '../test/helpers/repo';
import { startWorkerProcess, type WorkerProcess } from '../test/helpers/worker-process';
import { log, median, round } from './harness';

/** How long the worker runs the activity before it is stopped: long enough to beat a few times. */
const HOLD_MS = 3_000;

interface Variant { name: string; signal: 'SIGKILL' | 'SIGTERM'; bundle: string; shutdownGraceTime?: string }
export interface KillFigure { point: string; runExtraMs: number; retryMs: number; successorReadyMs: number; heartbeatsPerS: number }

async function heartbeatRequests(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  let n = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('service_requests{') && line.includes('operation="RecordActivityTaskHeartbeat"')) n += Number(line.split(' ').at(-1));
  }
  return n;
}

/** The production bundle, and the same with another heartbeat timeout (the constant of workflows/liveness.ts). */
async function bundles(): Promise<{ production: string; short: string }> {
  const { code } = await bundleWorkflowCode({ ...workflowBundleOptions(), logger: new DefaultLogger('WARN') });
  const constant = `LIVENESS_TIMEOUT = '${LIVENESS_TIMEOUT}'`;
  if (code.split(constant).length !== 2) throw new Error(`the bundle does not define ${constant} exactly once`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ii-crash-bench-'));
  writeFileSync(path.join(dir, 'production.js'), code);
  writeFileSync(path.join(dir, 'short.js'), code.replace(constant, "LIVENESS_TIMEOUT = '2s'"));
  return { production: path.join(dir, 'production.js'), short: path.join(dir, 'short.js') };
}

interface RunResult { ms: number; events: string[]; kill?: Omit<KillFigure, 'runExtraMs' | 'point'> }

async function runOnce(env: TestWorkflowEnvironment, metricsUrl: string, v: Variant, killAt?: string): Promise<RunResult> {
  const repo = await gitCopy(EXAMPLES);
  const events: string[] = [];
  const common = {
    address: env.connection.options.address as string, taskQueue: `crash-bench-${randomUUID()}`,
    stateDir: mkdtempSync(path.join(os.tmpdir(), 'ii-state-')), bundle: v.bundle, watchRoot: path.join(repo, 'infra'), events,
    ...(v.shutdownGraceTime ? { shutdownGraceTime: v.shutdownGraceTime } : {}),
  };
  let worker: WorkerProcess = await startWorkerProcess({ ...common, ...(killAt ? { holdAt: `start:${killAt}` } : {}) });
  const started = performance.now();
  try {
    const handle = await env.client.workflow.start(IMPLEMENTOR_WORKFLOW, {
      taskQueue: common.taskQueue, workflowId: `crash-bench-${randomUUID()}`, args: [scenarioInput('scaffold', path.join(repo, 'infra'))],
    });
    let kill: RunResult['kill'];
    if (killAt) {
      await worker.waitFor(`hold start:${killAt}`);
      // The held activity's id (`<type>#<activityId>`): its retry is the same id's next attempt.
      const id = events.findLast((e) => e.startsWith(`start ${killAt}#`))?.split(' ')[1] as string;
      const beatsBefore = await heartbeatRequests(metricsUrl);
      const heldAt = performance.now();
      await sleep(HOLD_MS);
      const heartbeatsPerS = (await heartbeatRequests(metricsUrl) - beatsBefore) / ((performance.now() - heldAt) / 1000);
      const signalled = performance.now();
      await worker.kill(v.signal);
      worker = await startWorkerProcess(common);
      const successorReadyMs = performance.now() - signalled;
      await worker.waitFor(`start ${id} `, 120_000); // only the successor's events: the retry
      kill = { retryMs: performance.now() - signalled, successorReadyMs, heartbeatsPerS };
    }
    await handle.result();
    return { ms: performance.now() - started, events, ...(kill ? { kill } : {}) };
  } finally {
    await worker.kill();
  }
}

/** The run's activity types in the order they first start (the kill points). */
function activityTypes(events: string[]): string[] {
  const types = events.flatMap((e) => /^start (\w+)#/.exec(e)?.[1] ?? []);
  return [...new Set(types)];
}

export async function measureCrash(opts: { kills: number; variants: string[] }) {
  installRuntime('WARN');
  const metricsPort = await freePort();
  const env = await startDevServer({ extraArgs: ['--metrics-port', String(metricsPort)] });
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  try {
    const b = await bundles();
    const all: Variant[] = [
      { name: 'sigkill', signal: 'SIGKILL', bundle: b.production },
      { name: 'sigkill-2s', signal: 'SIGKILL', bundle: b.short },
      { name: 'sigterm', signal: 'SIGTERM', bundle: b.production },
      { name: 'sigterm-0s', signal: 'SIGTERM', bundle: b.production, shutdownGraceTime: '0s' },
    ];
    const variants = all.filter((v) => opts.variants.includes(v.name));
    const reference: number[] = [];
    let types: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await runOnce(env, metricsUrl, all[0] as Variant);
      reference.push(r.ms);
      types = activityTypes(r.events);
    }
    const refMs = median(reference);
    log(`crash: undisturbed runs ${reference.map(Math.round).join(', ')} ms; activities ${types.join(', ')}`);
    const out: Record<string, { kills: KillFigure[]; medianRunExtraMs: number; maxRunExtraMs: number; medianRetryMs: number; maxRetryMs: number; heartbeatsPerActivityS: number }> = {};
    // Variants alternate kill by kill, so that the machine's load falls on all of them alike.
    for (let k = 0; k < opts.kills; k++) {
      const point = types[k % types.length] as string;
      for (const v of variants) {
        const r = await runOnce(env, metricsUrl, v, point);
        const kill = r.kill as NonNullable<RunResult['kill']>;
        const fig: KillFigure = { point, runExtraMs: Math.round(r.ms - refMs - HOLD_MS), retryMs: Math.round(kill.retryMs), successorReadyMs: Math.round(kill.successorReadyMs), heartbeatsPerS: round(kill.heartbeatsPerS, 2) };
        const o = (out[v.name] ??= { kills: [], medianRunExtraMs: 0, maxRunExtraMs: 0, medianRetryMs: 0, maxRetryMs: 0, heartbeatsPerActivityS: 0 });
        o.kills.push(fig);
        o.medianRunExtraMs = Math.round(median(o.kills.map((x) => x.runExtraMs)));
        o.maxRunExtraMs = Math.max(...o.kills.map((x) => x.runExtraMs));
        o.medianRetryMs = Math.round(median(o.kills.map((x) => x.retryMs)));
        o.maxRetryMs = Math.max(...o.kills.map((x) => x.retryMs));
        o.heartbeatsPerActivityS = round(median(o.kills.map((x) => x.heartbeatsPerS)), 2);
        log(`crash: ${v.name} in ${point}: run +${fig.runExtraMs} ms, retry started ${fig.retryMs} ms after the signal (successor ready after ${fig.successorReadyMs} ms), ${fig.heartbeatsPerS} heartbeats/s`);
      }
    }
    return { undisturbedMs: reference.map(Math.round), holdMs: HOLD_MS, variants: out };
  } finally {
    await env.teardown();
  }
}

async function main() {
  const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const kills = Number(arg('kills') ?? 6);
  const variants = (arg('variants') ?? 'sigkill,sigkill-2s').split(',');
  const loadBefore = os.loadavg().map((x) => +x.toFixed(2));
  const started = new Date().toISOString();
  const figures = await measureCrash({ kills, variants });
  const result = { date: started, kills, loadAverage: { before: loadBefore, after: os.loadavg().map((x) => +x.toFixed(2)) }, ...figures };
  if (process.argv.includes('--json')) return process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write([
    `crash cost per kill (${kills} kills each, worker held ${HOLD_MS} ms in the activity first), ${started}, load ${loadBefore.join(' ')} → ${result.loadAverage.after.join(' ')}`,
    '| variant | run extra, median | max | signal → retry started, median | max | heartbeats per activity-second |',
    '| --- | --- | --- | --- | --- | --- |',
    ...Object.entries(figures.variants).map(([name, o]) => `| ${name} | ${(o.medianRunExtraMs / 1000).toFixed(1)} s | ${(o.maxRunExtraMs / 1000).toFixed(1)} s | ${(o.medianRetryMs / 1000).toFixed(1)} s | ${(o.maxRetryMs / 1000).toFixed(1)} s | ${o.heartbeatsPerActivityS} |`),
  ].join('\n') + '\n');
}

if (process.argv[1]?.endsWith('crash.ts')) await main();
