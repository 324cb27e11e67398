// throughput: `runs` implementor runs started at once (model latency 0.5 s) against one worker, the
// production artifact itself: the project is built as the Docker image builds it (scripts/build.ts:
// compiled JavaScript and the prebuilt workflow bundle, in a fresh folder laid out like the image's
// /app) and `node dist/infra-implementor.mjs worker` runs in a child process, configured by its
// environment alone (anthropic implementer against the fixed-latency model), with its default worker
// options and both of its workers (shared queue and host queue). It counts as started once its health
// endpoint says ready. Figures: completions per minute, and the worker's peak resident memory, polled
// from /proc/<pid>/status (VmRSS, with RssAnon / RssFile) while the runs go and read once more as the
// kernel's high-water mark (VmHWM) before the worker stops. The worker is two processes: the Node
// worker and its launcher (runtime/launcher.ts), which starts git and kubectl for it. The figures
// add the launcher's anonymous memory to the worker's resident memory: the launcher's mapped files are
// the node binary and modules the worker maps too, pages the kernel holds once (the plain sum of both
// VmRSS is reported beside, as an upper bound).
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DockerfileParser } from 'dockerfile-ast';
import { execa } from 'execa';
import type { ImplementorReport } from '../core/schemas';
import { IMPLEMENTOR_WORKFLOW } from '../workflows/messages';
import { buildApp } from '../test/helpers/build';
import { freePort } from '../test/helpers/net';
import { PROJECT_ROOT } from '../test/helpers/repo';
import { BENCH_API_KEY, log, procStat, round, workspace, type Lab } from './harness';
import { startFixedLatencyLlm } from './llm';

export interface ThroughputFigures {
  runs: number;
  latencyMs: number;
  completed: number;
  succeeded: number;
  failed: number;
  wallMs: number;
  completionsPerMinute: number;
  /** The worker's event-loop delay while the runs went (its health endpoint's /debug/event-loop): the margin under the heartbeat timeout. */
  eventLoop: { maxMs: number; p99Ms: number; meanMs: number };
  /** Resident memory of the idle worker once it is ready (bundle loaded, nothing running). */
  startRssMb: number;
  /** Highest worker VmRSS + launcher RssAnon seen while polling, and the worker's VmHWM + the launcher's highest RssAnon (start-up included). */
  peakRssMb: number;
  hwmRssMb: number;
  /** The launcher at the peak sample (resident, anonymous), and the highest plain sum of both processes' VmRSS (counting shared files twice). */
  launcher: { atPeakMb: number; atPeakAnonMb: number; peakSumOfRssMb: number };
  /**
   * The highest VmRSS sample split as the kernel counts it: anonymous memory (the V8 heaps of the
   * main and workflow threads, Buffers, the SDK's Rust core) and mapped files (node, the native
   * core bridge, code).
   */
  atPeak: { rssMb: number; anonMb: number; fileMb: number };
}

const MB = 1024;
type StatusField = 'VmRSS' | 'VmHWM' | 'RssAnon' | 'RssFile';
/** Fields of /proc/<pid>/status, in kB. */
function status(pid: number): Record<StatusField, number> {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: StatusField) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { VmRSS: kb('VmRSS'), VmHWM: kb('VmHWM'), RssAnon: kb('RssAnon'), RssFile: kb('RssFile') };
}

/**
 * The process settings of the image's runtime stage (NODE_ENV, NODE_OPTIONS with the heap budget,
 * MALLOC_ARENA_MAX for glibc), read from the Dockerfile: the benchmark's worker runs as the image runs it.
 */
export function imageNodeEnv(dockerfile = path.join(PROJECT_ROOT, 'Dockerfile')): Record<string, string> {
  const df = DockerfileParser.parse(readFileSync(dockerfile, 'utf8'));
  const runtimeFrom = df.getFROMs().at(-1)?.getRange().start.line ?? 0;
  const env: Record<string, string> = {};
  for (const e of df.getENVs().filter((x) => x.getRange().start.line > runtimeFrom)) {
    for (const p of e.getProperties()) {
      const name = p.getName();
      if (name.startsWith('NODE_') || name.startsWith('MALLOC_')) env[name] = (p.getValue() ?? '').replace(/^"(.*)"$/, '$1');
    }
  }
  return env;
}

/** The launcher process the worker started (a child of `pid` running launcher-process), if it runs yet. */
function launcherOf(pid: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    // ppid is field 4 of proc(5).
    if (procStat(Number(entry))?.[1] !== pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('launcher-process')) return Number(entry);
    } catch {
      /* gone meanwhile */
    }
  }
  return undefined;
}

const NONE: Record<StatusField, number> = { VmRSS: 0, VmHWM: 0, RssAnon: 0, RssFile: 0 };
const statusOrNone = (pid: number | undefined) => {
  try {
    return pid === undefined ? NONE : status(pid);
  } catch {
    return NONE;
  }
};

/** Wait until the worker's health endpoint answers /readyz with 200 (both its workers poll). */
async function waitReady(port: number, exited: { code?: number | string }, stderrTail: () => string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (exited.code !== undefined) throw new Error(`the worker exited before it was ready (${exited.code}): ${stderrTail()}`);
    const code = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status, () => 0);
    if (code === 200) return;
    await sleep(100);
  }
  throw new Error(`the worker was not ready within 120 s: ${stderrTail()}`);
}

/** `opts.env`: variables set on the worker over the image's, to compare a setting side by side; `npm run bench` sets none. */
export async function measureThroughput(lab: Lab, opts: { runs: number; latencyMs: number; env?: Record<string, string> }): Promise<ThroughputFigures> {
  const llm = await startFixedLatencyLlm(opts.latencyMs);
  const taskQueue = `bench-throughput-${randomUUID()}`;
  // The same build the image ships; the workflow code is the lab's bundle, made by the same call.
  const app = await buildApp({ workflowCode: lab.bundle.code });
  log(`throughput: production build in ${app.dist}`);

  // Every repository is copied before the clock starts: only the runs are timed.
  const spaces = [];
  for (let i = 0; i < opts.runs; i++) spaces.push(await workspace(`svc-${String(i).padStart(3, '0')}`));
  log(`throughput: ${opts.runs} repositories ready`);

  const healthPort = await freePort();
  const child = execa(process.execPath, [app.cli, 'worker'], {
    cwd: PROJECT_ROOT,
    env: {
      ...imageNodeEnv(),
      TEMPORAL_ADDRESS: lab.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      ANTHROPIC_API_KEY: BENCH_API_KEY,
      ANTHROPIC_BASE_URL: llm.url,
      INFRA_IMPLEMENTOR_STATE_DIR: mkdtempSync(path.join(os.tmpdir(), 'ii-bench-state-')),
      INFRA_IMPLEMENTOR_HEALTH_PORT: String(healthPort),
      ...opts.env,
    },
    stdin: 'ignore', stdout: 'ignore', stderr: 'pipe', buffer: false, reject: false,
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('the worker process did not start');
  // The worker's log is kept for the error messages, not shown.
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  const exited: { code?: number | string } = {};
  void child.then((r) => { exited.code = r.exitCode ?? r.signal ?? 'unknown'; });
  let launcherPid: number | undefined;
  let peak = { VmRSS: 0, RssAnon: 0, RssFile: 0, launcher: NONE };
  let launcherMaxAnon = 0;
  let sumOfRss = 0;
  const sample = () => {
    launcherPid ??= launcherOf(pid);
    const w = status(pid);
    const l = statusOrNone(launcherPid);
    launcherMaxAnon = Math.max(launcherMaxAnon, l.RssAnon);
    sumOfRss = Math.max(sumOfRss, w.VmRSS + l.VmRSS);
    if (w.VmRSS + l.RssAnon > peak.VmRSS) peak = { VmRSS: w.VmRSS + l.RssAnon, RssAnon: w.RssAnon + l.RssAnon, RssFile: w.RssFile, launcher: l };
  };
  let poller: NodeJS.Timeout | undefined;
  try {
    await waitReady(healthPort, exited, () => stderr);
    launcherPid = launcherOf(pid);
    const startKb = status(pid).VmRSS + statusOrNone(launcherPid).RssAnon;
    poller = setInterval(sample, 100);
    const eventLoop = (reset = '') => fetch(`http://127.0.0.1:${healthPort}/debug/event-loop${reset}`).then((r) => r.json() as Promise<ThroughputFigures['eventLoop']>);
    await eventLoop('?reset');

    const started = performance.now();
    const handles = await Promise.all(spaces.map((ws, i) => lab.env.client.workflow.start(IMPLEMENTOR_WORKFLOW, {
      taskQueue, workflowId: `bench-throughput-${i}-${Date.now()}`, args: [ws.input],
    })));
    let done = 0;
    const results = await Promise.allSettled(handles.map(async (h) => {
      const report = await h.result() as ImplementorReport;
      if (++done % 20 === 0) log(`throughput: ${done}/${opts.runs} done after ${Math.round(performance.now() - started)} ms`);
      return report;
    }));
    const wallMs = performance.now() - started;
    const loop = await eventLoop();
    clearInterval(poller);
    sample();
    if (launcherPid === undefined) throw new Error('the worker ran its commands without its launcher process');
    const hwmKb = status(pid).VmHWM + launcherMaxAnon;
    const reports = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const succeeded = reports.filter((r) => r.status === 'succeeded').length;
    const failures = results.length - succeeded;
    if (failures) {
      const first = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
      log(`throughput: ${failures} run(s) did not succeed: ${first ? String(first.reason) : reports.find((r) => r.status !== 'succeeded')?.summary}; the worker's last log: ${stderr}`);
    }
    return {
      runs: opts.runs, latencyMs: opts.latencyMs, completed: reports.length, succeeded, failed: failures,
      wallMs: Math.round(wallMs), completionsPerMinute: round(reports.length / (wallMs / 60_000), 1), eventLoop: loop,
      startRssMb: round(startKb / MB, 1), peakRssMb: round(peak.VmRSS / MB, 1), hwmRssMb: round(hwmKb / MB, 1),
      launcher: { atPeakMb: round(peak.launcher.VmRSS / MB, 1), atPeakAnonMb: round(peak.launcher.RssAnon / MB, 1), peakSumOfRssMb: round(sumOfRss / MB, 1) },
      atPeak: { rssMb: round(peak.VmRSS / MB, 1), anonMb: round(peak.RssAnon / MB, 1), fileMb: round(peak.RssFile / MB, 1) },
    };
  } finally {
    if (poller) clearInterval(poller);
    child.kill('SIGTERM'); // the worker drains and exits; SIGKILL if it does not within 10 s
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await child;
    clearTimeout(timer);
    await llm.close();
  }
}
