// What the benchmarks share: a real Temporal dev server, one prebuilt workflow bundle, a worker whose
// anthropic implementer talks to a fixed-latency model, a fresh copy of the example repository per
// run, and small statistics. Progress goes to stderr so that `--json` keeps stdout to one object.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, bundleWorkflowCode, type Worker } from '@temporalio/worker';
import type { ActivityDeps } from '../activities';
import { runningLauncherPid } from '../runtime/launcher';
import { ImplementorInput } from '../core/schemas';
import { loadConfig } from '../worker/config';
import { workerImplementers } from '../worker/implementers';
import { installRuntime } from '../worker/runtime';
import { startDevServer } from '../worker/temporal-server';
import { createWorker, createWorkers, workflowBundleOptions, type WorkerSet } from '../worker/worker';
import { EXAMPLES, gitCopy } from '../test/helpers/repo';

export const BENCH_API_KEY = 'sk-ant-bench-not-a-real-key';

export interface Lab {
  env: TestWorkflowEnvironment;
  /** host:port of the dev server, for a worker in another process. */
  address: string;
  /** The workflow code bundled once, as a production worker loads it. */
  bundle: { code: string };
}

export const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

/**
 * A result on stdout and nothing else. The Temporal CLI behind the dev server prints its banner on
 * the stdout it inherits, so a bench whose stdout is its result runs `main` in a child process of
 * its own (this very command again) whose stdout is our stderr; there `main` writes the result
 * with writeResult to the file it is given, and only that file reaches our stdout. Resolves to the
 * exit code.
 */
export async function withResultOnStdout(main: () => Promise<number | void>): Promise<number> {
  if (process.env.BENCH_RESULT_FILE !== undefined) return (await main()) ?? 0;
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ii-bench-')), 'result.json');
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    env: { ...process.env, BENCH_RESULT_FILE: file }, stdio: ['ignore', 2, 2],
  });
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  try {
    process.stdout.write(readFileSync(file, 'utf8'));
  } catch {
    log(`no result: the benchmark process exited with ${code}`);
    return code || 1;
  }
  return code;
}

export function writeResult(text: string): void {
  writeFileSync(process.env.BENCH_RESULT_FILE ?? '/dev/stdout', text);
}

export async function startLab(): Promise<Lab> {
  installRuntime('WARN');
  const started = performance.now();
  const [env, bundle] = await Promise.all([
    startDevServer(),
    bundleWorkflowCode({ ...workflowBundleOptions(), logger: new DefaultLogger('WARN') }),
  ]);
  log(`dev server and workflow bundle ready in ${Math.round(performance.now() - started)} ms`);
  return { env, address: env.connection.options.address, bundle };
}

/** The activities' dependencies of a worker whose anthropic implementer talks to `llmUrl`. */
export function benchDeps(llmUrl: string): ActivityDeps {
  return {
    stateDir: mkdtempSync(path.join(os.tmpdir(), 'ii-bench-state-')),
    ...workerImplementers(loadConfig({ ANTHROPIC_API_KEY: BENCH_API_KEY, ANTHROPIC_BASE_URL: llmUrl })),
  };
}

/** What every bench worker shares: this lab's server and prebuilt bundle, a task queue of its own. */
function workerOptions(lab: Lab, deps: ActivityDeps) {
  return {
    connection: lab.env.nativeConnection,
    namespace: lab.env.namespace ?? 'default',
    taskQueue: `bench-${randomUUID()}`,
    deps,
    workerOptions: { workflowBundle: lab.bundle, shutdownGraceTime: '1s' },
  };
}

/** A worker in this process, on a task queue of its own. */
export async function benchWorker(lab: Lab, deps: ActivityDeps): Promise<{ worker: Worker; taskQueue: string }> {
  const opts = workerOptions(lab, deps);
  return { worker: await createWorker(opts), taskQueue: opts.taskQueue };
}

/** The production pair a feature needs (shared queue + this process's host queue for worktrees). */
export async function benchWorkers(lab: Lab, deps: ActivityDeps): Promise<{ workers: WorkerSet; taskQueue: string }> {
  const opts = workerOptions(lab, deps);
  return { workers: await createWorkers(opts), taskQueue: opts.taskQueue };
}

/** Wall times (ms, rounded) and CPU seconds of the measured repetitions of one side of a comparison. */
export function series() {
  const ms: number[] = [];
  const cpuS: number[] = [];
  return { ms, cpuS, add: (t: { ms: number; cpuS: number }) => { ms.push(Math.round(t.ms)); cpuS.push(round(t.cpuS, 2)); } };
}

export interface Workspace {
  root: string;
  infraRoot: string;
  input: ImplementorInput;
}

/** A fresh git copy of examples/ and the implementor input that adds `service` to it. */
export async function workspace(service: string): Promise<Workspace> {
  const root = await gitCopy(EXAMPLES);
  const infraRoot = path.join(root, 'infra');
  const input = ImplementorInput.parse({
    featureDescription: `Add the ${service} service`,
    scope: `${service} service`,
    infraRoot,
    reposRoot: root,
    implementer: 'anthropic',
    spec: { service, image: `ghcr.io/acme/${service}:1.0.0`, port: 8080 },
  });
  return { root, infraRoot, input };
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; cpuS: number; value: T }> {
  const start = performance.now();
  const cpu = cpuSeconds();
  const value = await fn();
  return { ms: performance.now() - start, cpuS: cpuSeconds() - cpu, value };
}

/**
 * CPU seconds used so far by this process and its finished children, and by the launcher process
 * and the commands it ran (git, kubectl, helm: runtime/launcher.ts): on a shared machine with few
 * cores, what a run costs in CPU tells more than its wall time alone.
 */
export function cpuSeconds(): number {
  const launcher = runningLauncherPid();
  return processCpuSeconds('self') + (launcher ? processCpuSeconds(launcher) : 0);
}

/** A process's CPU seconds with those of its finished children (0 when it is gone). */
export function processCpuSeconds(pid: number | 'self'): number {
  const fields = procStat(pid);
  if (!fields) return 0;
  // utime, stime, cutime, cstime are fields 14–17 of proc(5). Ticks of 1/100 s.
  return ((fields[11] ?? 0) + (fields[12] ?? 0) + (fields[13] ?? 0) + (fields[14] ?? 0)) / 100;
}

/**
 * The numeric fields of /proc/<pid>/stat from field 3 (state) on, so field N of proc(5) is at index
 * N - 3 (the command name, which may hold spaces, is cut off); undefined when the process is gone.
 */
export function procStat(pid: number | 'self'): number[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  } catch {
    return undefined;
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] ?? NaN : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

export const round = (x: number, digits = 3) => +x.toFixed(digits);
