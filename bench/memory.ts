// `npm run bench:memory`: what one cached run costs the worker's heap, per workflow bundle, side by
// side on one server. Each measure is a fresh process (a heap that ran another bundle before reads
// tens of KB per run off, either way) whose worker runs the bundle in debug mode (workflow code on
// the main thread, so `process.memoryUsage()` sees the sandbox's heap); `runs` implementor runs are
// started against a model that never answers within the measure, and once every run's first model
// turn is in flight (all runs cached, each parked in its first activity) the heap is measured after
// a full GC. Per run = (heap with the runs − heap before) / runs. The activity side (one pending
// HTTP request per run) is the same in every variant, so the differences are the sandbox's.
// Debug mode runs the sandbox on this thread, so a variant with `nodeAsyncLocalStorage` runs on
// Node's own AsyncLocalStorage class (the sandbox's before worker/async-context-frames.ts) and the
// others on the frames the production workflow threads use (installed here for the measure).
// `--rss` then runs the throughput bench (production build, 100 runs) once per bundle, alternating.
import asyncHooks from 'node:async_hooks';
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';
import { execa } from 'execa';
import { IMPLEMENTOR_WORKFLOW } from '../workflows/messages';
import { WORKFLOWS_PATH, createWorker, workflowBundleOptions } from '../worker/worker';
import { startFakeAnthropic } from '../test/helpers/fake-anthropic';
import { replyTo } from './llm';
import { benchDeps, log, median, round, startLab, withResultOnStdout, workspace, writeResult, type Lab } from './harness';
import { measureThroughput } from './throughput';
import { installAsyncContextFrames } from '../worker/async-context-frames';
import { installRuntime } from '../worker/runtime';

const OTEL = 'Temporal\'s OpenTelemetry interceptors';
const OTEL_INTERCEPTORS_PATH = fileURLToPath(new URL('./otel-workflow-interceptors.ts', import.meta.url));

const gc = (globalThis as { gc?: () => void }).gc;
const heapMb = () => { gc?.(); gc?.(); return process.memoryUsage().heapUsed / 2 ** 20; };

export interface Variant { name: string; code: string; nodeAsyncLocalStorage?: boolean }

/**
 * The bundles compared: the production bundle on Node's AsyncLocalStorage (as before the frames)
 * and on the frames (production), the bundle with Temporal's OpenTelemetry workflow interceptors
 * instead of the sandbox's own spans (as before workflows/tracing.ts), and the bundle without any
 * workflow interceptor (the floor).
 */
export async function variants(): Promise<Variant[]> {
  const logger = new DefaultLogger('WARN');
  const [production, otel, bare] = await Promise.all([
    bundleWorkflowCode({ ...workflowBundleOptions(), logger }),
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules: [OTEL_INTERCEPTORS_PATH], logger }),
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger }),
  ]);
  return [
    { name: 'production, Node AsyncLocalStorage', code: production.code, nodeAsyncLocalStorage: true },
    { name: 'production', code: production.code },
    { name: OTEL, code: otel.code },
    { name: 'no interceptors', code: bare.code },
  ];
}

const nodeAsyncLocalStorage = asyncHooks.AsyncLocalStorage;
/** The class the next worker's sandbox subclasses (it is read when the worker sets its sandbox up). */
function useAsyncLocalStorage(v: Variant): void {
  asyncHooks.AsyncLocalStorage = nodeAsyncLocalStorage;
  if (!v.nodeAsyncLocalStorage) installAsyncContextFrames(asyncHooks);
}

/** Heap per cached run (MB) of one bundle: `runs` runs parked in their first model turn. */
async function perRun(lab: Lab, v: Variant, runs: number): Promise<PerRun> {
  let inFlight = 0;
  const llm = await startFakeAnthropic({ record: false, respond: (body) => { inFlight++; return { ...replyTo(body), delayMs: 600_000 }; } });
  const taskQueue = `bench-memory-${randomUUID()}`;
  const deps = benchDeps(llm.url);
  useAsyncLocalStorage(v);
  const worker = await createWorker({
    connection: lab.env.nativeConnection, namespace: lab.env.namespace ?? 'default', taskQueue, deps,
    workerOptions: { workflowBundle: { code: v.code }, debugMode: true, shutdownGraceTime: '1s', maxCachedWorkflows: runs + 10 },
  });
  const spaces = [];
  for (let i = 0; i < runs; i++) spaces.push(await workspace(`mem-${i}`));
  const running = worker.run();
  const handles = [];
  try {
    await sleep(500);
    const heapBeforeMb = heapMb();
    for (const [i, ws] of spaces.entries()) {
      handles.push(await lab.env.client.workflow.start(IMPLEMENTOR_WORKFLOW, { taskQueue, workflowId: `bench-memory-${i}-${randomUUID()}`, args: [ws.input] }));
    }
    const deadline = Date.now() + 120_000;
    while (inFlight < runs) {
      if (Date.now() > deadline) throw new Error(`only ${inFlight}/${runs} runs reached their first model turn in 120 s`);
      await sleep(200);
    }
    await sleep(1000);
    const heapWithRunsMb = heapMb();
    return { heapBeforeMb: round(heapBeforeMb, 1), heapWithRunsMb: round(heapWithRunsMb, 1), perRunKb: Math.round(((heapWithRunsMb - heapBeforeMb) * 1024) / runs) };
  } finally {
    await Promise.allSettled(handles.map((h) => h.terminate('memory measured')));
    worker.shutdown();
    await llm.close();
    await running;
  }
}

interface PerRun { heapBeforeMb: number; heapWithRunsMb: number; perRunKb: number }

/** One measure in a process of its own (this file with `--child`), on the lab's server. */
async function perRunInChild(lab: Lab, v: Variant, file: string, runs: number): Promise<PerRun> {
  const args = ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--child', `--address=${lab.address}`, `--bundle=${file}`, `--runs=${runs}`];
  if (v.nodeAsyncLocalStorage) args.push('--node-async-local-storage');
  const r = await execa(process.execPath, args, { stderr: 'inherit' });
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as PerRun;
}

export async function measureMemory(lab: Lab, vs: Variant[], opts: { runs: number; reps: number }) {
  const out: Record<string, { bundleKb: number; perRunKb: number[]; medianPerRunKb: number }> = {};
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ii-bench-memory-'));
  const files = vs.map((v, i) => {
    const file = path.join(dir, `bundle-${i}.js`);
    writeFileSync(file, v.code);
    return file;
  });
  for (let r = 0; r < opts.reps; r++) {
    for (const [i, v] of vs.entries()) {
      const m = await perRunInChild(lab, v, files[i] as string, opts.runs);
      const o = (out[v.name] ??= { bundleKb: Math.round(v.code.length / 1024), perRunKb: [], medianPerRunKb: 0 });
      o.perRunKb.push(m.perRunKb);
      o.medianPerRunKb = median(o.perRunKb);
      log(`memory: ${v.name} rep ${r + 1}: heap ${m.heapBeforeMb} → ${m.heapWithRunsMb} MB with ${opts.runs} runs: ${m.perRunKb} KB per run`);
    }
  }
  return out;
}

/** `--child`: one measure, printed as a JSON line. */
async function child() {
  const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) as string;
  if (!gc) throw new Error('a measure needs node --expose-gc');
  installRuntime('WARN');
  const env = await TestWorkflowEnvironment.createFromExistingServer({ address: arg('address') });
  try {
    const code = readFileSync(arg('bundle'), 'utf8');
    const lab: Lab = { env, address: arg('address'), bundle: { code } };
    const v: Variant = { name: 'child', code, nodeAsyncLocalStorage: process.argv.includes('--node-async-local-storage') };
    process.stdout.write(`${JSON.stringify(await perRun(lab, v, Number(arg('runs'))))}\n`);
  } finally {
    await env.teardown();
  }
}

async function main() {
  const rss = process.argv.includes('--rss');
  const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 50);
  const loadBefore = os.loadavg().map((x) => +x.toFixed(2));
  const lab = await startLab();
  try {
    const vs = await variants();
    const heap = await measureMemory(lab, vs, { runs, reps: 2 });
    const throughput: Record<string, unknown>[] = [];
    if (rss) {
      const prod = vs.filter((v) => v.name === 'production' || v.name === OTEL);
      for (let r = 0; r < 2; r++) {
        for (const v of prod) {
          const t = await measureThroughput({ ...lab, bundle: { code: v.code } }, { runs: 100, latencyMs: 500 });
          log(`rss: ${v.name}: peak ${Math.max(t.peakRssMb, t.hwmRssMb)} MB, ${t.succeeded}/${t.runs} in ${t.wallMs} ms`);
          throughput.push({ bundle: v.name, peakRssMb: Math.max(t.peakRssMb, t.hwmRssMb), startRssMb: t.startRssMb, succeeded: t.succeeded, completionsPerMinute: t.completionsPerMinute, loadAverage: os.loadavg().map((x) => +x.toFixed(2)) });
        }
      }
    }
    writeResult(`${JSON.stringify({ date: new Date().toISOString(), runs, heap, throughput, loadAverage: { before: loadBefore, after: os.loadavg().map((x) => +x.toFixed(2)) } }, null, 2)}\n`);
  } finally {
    await lab.env.teardown();
  }
}

if (process.argv[1]?.endsWith('memory.ts')) {
  // Everything is closed and written; the Temporal runtime's native threads would keep the process up.
  process.exit(process.argv.includes('--child') ? (await child(), 0) : await withResultOnStdout(main));
}
