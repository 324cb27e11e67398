// throughput: `runs` implementor runs started at once against one worker in a child process (model
// latency 0.5 s): completions per minute, and the worker's peak resident memory, polled from
// /proc/<pid>/status (VmRSS) while the runs go and read once more as the kernel's high-water mark
// (VmHWM) before the worker stops.
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { execa } from 'execa';
import type { ImplementorReport } from '../core/schemas';
import { IMPLEMENTOR_WORKFLOW } from '../workflows/messages';
import { PROJECT_ROOT } from '../test/helpers/repo';
import { BENCH_API_KEY, log, round, workspace, type Lab } from './harness';
import { startFixedLatencyLlm } from './llm';

export interface ThroughputFigures {
  runs: number;
  latencyMs: number;
  completed: number;
  succeeded: number;
  failed: number;
  wallMs: number;
  completionsPerMinute: number;
  /** Resident memory of the idle worker once it polls (bundle loaded, nothing running). */
  startRssMb: number;
  /** Highest VmRSS seen while polling, and the kernel's high-water mark (start-up included). */
  peakRssMb: number;
  hwmRssMb: number;
  /** The worker's own view at its highest rss sample: V8 heap used / allocated, Buffers and the like. */
  atPeak: { rssMb: number; heapUsedMb: number; heapTotalMb: number; externalMb: number };
}

const MB = 1024;
function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m?.[1] ? Number(m[1]) : 0;
}

export async function measureThroughput(lab: Lab, opts: { runs: number; latencyMs: number }): Promise<ThroughputFigures> {
  const llm = await startFixedLatencyLlm(opts.latencyMs);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'ii-bench-bundle-'));
  const bundlePath = path.join(tmp, 'workflow-bundle.js');
  writeFileSync(bundlePath, lab.bundle.code);
  const taskQueue = `bench-throughput-${randomUUID()}`;

  // Every repository is copied before the clock starts: only the runs are timed.
  const spaces = [];
  for (let i = 0; i < opts.runs; i++) spaces.push(await workspace(`svc-${String(i).padStart(3, '0')}`));
  log(`throughput: ${opts.runs} repositories ready`);

  const child = execa('node', ['--import', 'tsx', 'bench/throughput-worker.ts'], {
    cwd: PROJECT_ROOT,
    env: {
      BENCH_BUNDLE: bundlePath, BENCH_TASK_QUEUE: taskQueue, TEMPORAL_ADDRESS: lab.address,
      ANTHROPIC_API_KEY: BENCH_API_KEY, ANTHROPIC_BASE_URL: llm.url,
    },
    stdout: 'pipe', stderr: 'inherit', reject: false,
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('the worker process did not start');
  let peakKb = 0;
  let poller: NodeJS.Timeout | undefined;
  let atPeak: NodeJS.MemoryUsage | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      let pending = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        const lines = (pending + chunk.toString()).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (line === 'ready') resolve();
          if (!line.startsWith('memory ')) continue;
          const m = JSON.parse(line.slice('memory '.length)) as NodeJS.MemoryUsage;
          if (!atPeak || m.rss > atPeak.rss) atPeak = m;
        }
      });
      void child.then((r) => reject(new Error(`the worker process exited before it was ready (${r.exitCode})`)));
    });
    const startKb = statusKb(pid, 'VmRSS');
    poller = setInterval(() => { peakKb = Math.max(peakKb, statusKb(pid, 'VmRSS')); }, 100);

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
    clearInterval(poller);
    peakKb = Math.max(peakKb, statusKb(pid, 'VmRSS'));
    const hwmKb = statusKb(pid, 'VmHWM');
    const reports = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const succeeded = reports.filter((r) => r.status === 'succeeded').length;
    const failures = results.length - succeeded;
    if (failures) {
      const first = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
      log(`throughput: ${failures} run(s) did not succeed: ${first ? String(first.reason) : reports.find((r) => r.status !== 'succeeded')?.summary}`);
    }
    return {
      runs: opts.runs, latencyMs: opts.latencyMs, completed: reports.length, succeeded, failed: failures,
      wallMs: Math.round(wallMs), completionsPerMinute: round(reports.length / (wallMs / 60_000), 1),
      startRssMb: round(startKb / MB, 1), peakRssMb: round(peakKb / MB, 1), hwmRssMb: round(hwmKb / MB, 1),
      atPeak: {
        rssMb: round((atPeak?.rss ?? 0) / 2 ** 20, 1), heapUsedMb: round((atPeak?.heapUsed ?? 0) / 2 ** 20, 1),
        heapTotalMb: round((atPeak?.heapTotal ?? 0) / 2 ** 20, 1), externalMb: round((atPeak?.external ?? 0) / 2 ** 20, 1),
      },
    };
  } finally {
    if (poller) clearInterval(poller);
    child.kill('SIGTERM');
    await child;
    await llm.close();
  }
}
