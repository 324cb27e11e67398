// `npm run bench:crash [-- --kills=6] [--variants=sigkill,sigkill-no-takeover,sigkill-4s-no-takeover,sigkill-3s-no-takeover,sigterm,sigterm-cancel,sigterm-outlives-grace] [--timeline] [--json]`: what a dead worker costs a run.
// A worker process on the production options (test/helpers/worker-main.ts,
// the crash tests' worker, built by scripts/build.ts with the image's NODE_* settings, as production
// starts its worker) runs the scaffold scenario; it is stopped while it runs one of the run's
// activities (held there, beating as a live worker does, for HOLD_MS), then a successor starts at
// once with the same state dir, as a restarted pod does. Per kill: the run's extra time over the
// median undisturbed run (less the hold), and from the signal to the activity's retry starting on the
// successor. The kill points are the run's activity types in order, from an undisturbed run's trace.
// Heartbeats are counted on the dev server (RecordActivityTaskHeartbeat requests on its /metrics)
// while an activity is held, per activity-second.
//   sigkill                 SIGKILL, production: options, bundle (heartbeat timeout LIVENESS_TIMEOUT,
//                           5 s) and the successor's take-over of what its predecessor ran (worker/restart.ts)
//   sigkill-no-takeover     the same, the predecessor's records removed before the successor starts:
//                           the heartbeat timeout alone (a worker lost with its node)
//   sigkill-4s-no-takeover  that, with the bundle's heartbeat timeout 4 s
//   sigkill-3s-no-takeover  that, with the bundle's heartbeat timeout 3 s
//   sigterm                 SIGTERM, production options; the held activity then ends, as a step shorter
//                           than shutdownGraceTime (30 s) does: a rolling update's usual case
//   sigterm-cancel          SIGTERM to a worker with shutdownGraceTime 0: it cancels its activities at once
//   sigterm-outlives-grace  SIGTERM, production options; the held activity never ends, so it is cancelled
//                           after shutdownGraceTime (30 s): a step longer than the grace
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import proto from '@temporalio/proto';
import { installRuntime } from '../worker/runtime';
import { startDevServer } from '../worker/temporal-server';
import { workflowBundleOptions } from '../worker/worker';
import { IMPLEMENTOR_WORKFLOW } from '../workflows/messages';
import { LIVENESS_TIMEOUT } from '../workflows/liveness';
import { scenarioInput } from '../test/helpers/crash-run';
import { freePort } from '../test/helpers/net';
import { EXAMPLES, PROJECT_ROOT, gitCopy } from '../test/helpers/repo';
import { buildApp } from '../test/helpers/build';
import { imageNodeEnv } from './throughput';
import { startWorkerProcess, type WorkerProcess } from '../test/helpers/worker-process';
import { log, median, round, withResultOnStdout, writeResult } from './harness';

/** How long the worker runs the activity before it is stopped: long enough to beat a few times. */
const HOLD_MS = 3_000;
const EventType = proto.temporal.api.enums.v1.EventType;

interface Variant { name: string; signal: 'SIGKILL' | 'SIGTERM'; bundle: string; main: string; shutdownGraceTime?: string; noTakeOver?: boolean; holdUntil?: 'sigterm' }
export interface KillFigure { point: string; runExtraMs: number; exitedMs: number; successorReadyMs: number; retryMs: number | null; heartbeatsPerS: number }

async function heartbeatRequests(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  let n = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('service_requests{') && line.includes('operation="RecordActivityTaskHeartbeat"')) n += Number(line.split(' ').at(-1));
  }
  return n;
}

/**
 * The production bundle, and the same with other values of workflows/liveness.ts's constants (the
 * heartbeat timeout); and the worker process built as production builds its
 * worker (scripts/build.ts), so that a successor starts from JavaScript as a restarted pod does, not
 * through tsx (which took 3.6–6 s to load the worker's modules at load 11).
 */
async function bundles(): Promise<{ production: string; main: string; with: (constants: Record<string, string>) => string }> {
  const { code } = await bundleWorkflowCode({ ...workflowBundleOptions(), logger: new DefaultLogger('WARN') });
  const app = await buildApp({ workflowCode: code, extraEntryPoints: { 'worker-main': path.join(PROJECT_ROOT, 'test/helpers/worker-main.ts') } });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ii-crash-bench-'));
  writeFileSync(path.join(dir, 'production.js'), code);
  const production: Record<string, string> = { LIVENESS_TIMEOUT };
  const withConstants = (constants: Record<string, string>) => {
    let variant = code;
    for (const [name, value] of Object.entries(constants)) {
      const constant = `${name} = '${production[name]}'`;
      if (variant.split(constant).length !== 2) throw new Error(`the bundle does not define ${constant} exactly once`);
      variant = variant.replace(constant, `${name} = '${value}'`);
    }
    const file = path.join(dir, `${Object.entries(constants).map(([k, v]) => `${k}-${v}`).join('-')}.js`);
    writeFileSync(file, variant);
    return file;
  };
  return { production: path.join(dir, 'production.js'), main: path.join(app.dist, 'worker-main.mjs'), with: withConstants };
}

interface Summary {
  kills: KillFigure[]; medianRunExtraMs: number; maxRunExtraMs: number; medianSuccessorReadyMs: number;
  medianRetryMs: number | null; maxRetryMs: number | null; heartbeatsPerActivityS: number;
}

function summarise(kills: KillFigure[]): Summary {
  const retries = kills.flatMap((k) => (k.retryMs === null ? [] : [k.retryMs]));
  return {
    kills,
    medianRunExtraMs: Math.round(median(kills.map((x) => x.runExtraMs))),
    maxRunExtraMs: Math.max(...kills.map((x) => x.runExtraMs)),
    medianSuccessorReadyMs: Math.round(median(kills.map((x) => x.successorReadyMs))),
    medianRetryMs: retries.length ? Math.round(median(retries)) : null,
    maxRetryMs: retries.length ? Math.max(...retries) : null,
    heartbeatsPerActivityS: round(median(kills.map((x) => x.heartbeatsPerS)), 2),
  };
}

interface RunResult { ms: number; events: string[]; kill?: Omit<KillFigure, 'runExtraMs' | 'point'> }

/** `--timeline`: the killed run's history from the signal on, each event's server time after the signal. */
const TIMELINE = process.argv.includes('--timeline');

async function logTimeline(env: TestWorkflowEnvironment, workflowId: string, signalledAt: number): Promise<void> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const type = (t: unknown) => String(typeof t === 'number' ? EventType[t] : t).replace(/^EVENT_TYPE_/, '');
  const lines = (history.events ?? []).flatMap((e) => {
    const ms = Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6) - signalledAt;
    return ms > -1500 ? [`${(ms / 1000).toFixed(2).padStart(6)} s ${type(e.eventType)}`] : [];
  });
  log(`crash: ${workflowId} after the signal:\n  ${lines.join('\n  ')}`);
}

async function runOnce(env: TestWorkflowEnvironment, metricsUrl: string, v: Variant, killAt?: string): Promise<RunResult> {
  const repo = await gitCopy(EXAMPLES);
  const events: string[] = [];
  const common = {
    address: env.connection.options.address as string, taskQueue: `crash-bench-${randomUUID()}`,
    stateDir: mkdtempSync(path.join(os.tmpdir(), 'ii-state-')), bundle: v.bundle, main: v.main, env: imageNodeEnv(), watchRoot: path.join(repo, 'infra'), events,
    ...(v.shutdownGraceTime ? { shutdownGraceTime: v.shutdownGraceTime } : {}),
  };
  let worker: WorkerProcess = await startWorkerProcess({ ...common, ...(killAt ? { holdAt: `start:${killAt}` } : {}), ...(v.holdUntil ? { holdUntil: v.holdUntil } : {}) });
  const started = performance.now();
  try {
    const handle = await env.client.workflow.start(IMPLEMENTOR_WORKFLOW, {
      taskQueue: common.taskQueue, workflowId: `crash-bench-${randomUUID()}`, args: [scenarioInput('scaffold', path.join(repo, 'infra'))],
    });
    let kill: RunResult['kill'];
    let signalledAt = 0;
    if (killAt) {
      await worker.waitFor(`hold start:${killAt}`);
      // The held activity's id (`<type>#<activityId>`): its retry is the same id's next attempt.
      const id = events.findLast((e) => e.startsWith(`start ${killAt}#`))?.split(' ')[1] as string;
      const beatsBefore = await heartbeatRequests(metricsUrl);
      const heldAt = performance.now();
      await sleep(HOLD_MS);
      const heartbeatsPerS = (await heartbeatRequests(metricsUrl) - beatsBefore) / ((performance.now() - heldAt) / 1000);
      const signalled = performance.now();
      signalledAt = Date.now();
      await worker.kill(v.signal);
      const exitedMs = performance.now() - signalled;
      // What the successor would find without the take-over: no record of the activities left running.
      if (v.noTakeOver) rmSync(path.join(common.stateDir, 'in-flight'), { recursive: true, force: true });
      worker = await startWorkerProcess(common);
      const successorReadyMs = performance.now() - signalled;
      // Only the successor's events: the retry (none when the held activity ended on SIGTERM).
      if (!v.holdUntil) await worker.waitFor(`start ${id} `, 120_000);
      kill = { exitedMs, successorReadyMs, retryMs: v.holdUntil ? null : performance.now() - signalled, heartbeatsPerS };
    }
    await handle.result();
    if (TIMELINE && kill) await logTimeline(env, handle.workflowId, signalledAt);
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
      { name: 'sigkill', signal: 'SIGKILL', bundle: b.production, main: b.main },
      { name: 'sigkill-no-takeover', signal: 'SIGKILL', bundle: b.production, main: b.main, noTakeOver: true },
      { name: 'sigkill-4s-no-takeover', signal: 'SIGKILL', bundle: b.with({ LIVENESS_TIMEOUT: '4s' }), main: b.main, noTakeOver: true },
      { name: 'sigkill-3s-no-takeover', signal: 'SIGKILL', bundle: b.with({ LIVENESS_TIMEOUT: '3s' }), main: b.main, noTakeOver: true },
      { name: 'sigterm', signal: 'SIGTERM', bundle: b.production, main: b.main, holdUntil: 'sigterm' },
      { name: 'sigterm-cancel', signal: 'SIGTERM', bundle: b.production, main: b.main, shutdownGraceTime: '0s' },
      { name: 'sigterm-outlives-grace', signal: 'SIGTERM', bundle: b.production, main: b.main },
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
    const out: Record<string, Summary> = {};
    // Variants alternate kill by kill, so that the machine's load falls on all of them alike.
    for (let k = 0; k < opts.kills; k++) {
      const point = types[k % types.length] as string;
      for (const v of variants) {
        const r = await runOnce(env, metricsUrl, v, point);
        const kill = r.kill as NonNullable<RunResult['kill']>;
        const fig: KillFigure = {
          point, runExtraMs: Math.round(r.ms - refMs - HOLD_MS), exitedMs: Math.round(kill.exitedMs), successorReadyMs: Math.round(kill.successorReadyMs),
          retryMs: kill.retryMs === null ? null : Math.round(kill.retryMs), heartbeatsPerS: round(kill.heartbeatsPerS, 2),
        };
        const kills = [...(out[v.name]?.kills ?? []), fig];
        out[v.name] = summarise(kills);
        log(`crash: ${v.name} in ${point}: run +${fig.runExtraMs} ms; worker gone ${fig.exitedMs} ms, successor ready ${fig.successorReadyMs} ms, retry started ${fig.retryMs ?? '(none)'} ms after the signal; ${fig.heartbeatsPerS} heartbeats/s`);
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
  const variants = (arg('variants') ?? 'sigkill,sigkill-no-takeover,sigkill-4s-no-takeover,sigkill-3s-no-takeover').split(',');
  const loadBefore = os.loadavg().map((x) => +x.toFixed(2));
  const started = new Date().toISOString();
  const figures = await measureCrash({ kills, variants });
  const result = { date: started, kills, loadAverage: { before: loadBefore, after: os.loadavg().map((x) => +x.toFixed(2)) }, ...figures };
  const s = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`);
  if (process.argv.includes('--json')) {
    writeResult(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  process.stdout.write([
    `crash cost per kill (${kills} kills each, worker held ${HOLD_MS} ms in the activity first), ${started}, load ${loadBefore.join(' ')} → ${result.loadAverage.after.join(' ')}`,
    '| variant | run extra, median | max | signal → successor ready, median | signal → retry started, median | max | heartbeats per activity-second |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...Object.entries(figures.variants).map(([name, o]) => `| ${name} | ${s(o.medianRunExtraMs)} | ${s(o.maxRunExtraMs)} | ${s(o.medianSuccessorReadyMs)} | ${s(o.medianRetryMs)} | ${s(o.maxRetryMs)} | ${o.heartbeatsPerActivityS} |`),
  ].join('\n') + '\n');
}

if (process.argv[1]?.endsWith('crash.ts')) {
  if (process.argv.includes('--json')) process.exitCode = await withResultOnStdout(main);
  else await main();
}
