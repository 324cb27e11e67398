// Workers in child processes (worker-main.ts) that a test can SIGKILL at a named point, and the
// workflow bundle they share (built once, as production does).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowBundleOptions } from '../../worker/worker';

const here = path.dirname(fileURLToPath(import.meta.url));
const WORKER_MAIN = path.join(here, 'worker-main.ts');

/** Bundle the workflows once, as `npm run build` does for production; every child loads the file. */
export async function bundleCrashWorkflows(): Promise<string> {
  const { code } = await bundleWorkflowCode({
    ...workflowBundleOptions(),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m) => process.stderr.write(`${m}\n`) },
  });
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ii-bundle-')), 'workflows.js');
  writeFileSync(file, code);
  return file;
}

export interface WorkerProcessOptions {
  /** worker-main.ts built to JavaScript (bench/crash.ts, as production starts from its build); default: the source through tsx. */
  main?: string;
  address: string;
  namespace?: string;
  taskQueue: string;
  stateDir: string;
  bundle: string;
  /** Stop dead at this point (`start:<type>#<id>`, `end:<type>#<id>`, `write:<type>#<id>:<path>`). */
  holdAt?: string;
  /** Report every file written or removed under this folder. */
  watchRoot?: string;
  /** Every `@@` event of this and earlier workers of the same run, in order. */
  events?: string[];
  /** A local Messages API for the anthropic agent. */
  anthropicBaseUrl?: string;
  /** More environment, e.g. the TEMPORAL_TLS_* variables of an mTLS server. */
  env?: Record<string, string>;
  /** The worker's log level (default ERROR); its whole output is kept (`output()`). */
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** The worker's shutdownGraceTime on SIGTERM (default: the production options'). */
  shutdownGraceTime?: string;
  /** `sigterm`: a held activity goes on once the worker is SIGTERMed (a step shorter than the grace time). */
  holdUntil?: 'sigterm';
}

export interface WorkerProcess {
  readonly events: string[];
  /** Resolves with the first event (from now on, or already seen) that starts with `prefix`. */
  waitFor(prefix: string, timeoutMs?: number): Promise<string>;
  /** SIGKILL (or the signal given), resolved once the process is gone. */
  kill(signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  /** Everything the process wrote on stdout and stderr so far (its log lines included). */
  output(): string;
}

const live = new Set<ChildProcess>();
process.on('exit', () => { for (const c of live) c.kill('SIGKILL'); });

/** Start a worker process and resolve once it polls. */
export async function startWorkerProcess(opts: WorkerProcessOptions): Promise<WorkerProcess> {
  const events = opts.events ?? [];
  const child = spawn(process.execPath, opts.main ? [opts.main] : ['--import', 'tsx', WORKER_MAIN], {
    env: {
      ...process.env,
      ...opts.env,
      CRASH_ADDRESS: opts.address,
      CRASH_NAMESPACE: opts.namespace ?? 'default',
      CRASH_TASK_QUEUE: opts.taskQueue,
      CRASH_STATE_DIR: opts.stateDir,
      CRASH_BUNDLE: opts.bundle,
      CRASH_HOLD_AT: opts.holdAt ?? '',
      CRASH_WATCH_ROOT: opts.watchRoot ?? '',
      CRASH_ANTHROPIC_BASE_URL: opts.anthropicBaseUrl ?? '',
      CRASH_LOG_LEVEL: opts.logLevel ?? '',
      CRASH_SHUTDOWN_GRACE_TIME: opts.shutdownGraceTime ?? '',
      CRASH_HOLD_UNTIL: opts.holdUntil ?? '',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  live.add(child);
  let stderr = '';
  const output: string[] = [];
  child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); output.push(d.toString()); });
  child.stdout?.on('data', (d: Buffer) => { output.push(d.toString()); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => { live.delete(child); resolve(); }));
  const waiters: { prefix: string; resolve: (e: string) => void }[] = [];
  const ownStart = events.length;
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    if (!line.startsWith('@@ ')) return;
    const event = line.slice(3);
    events.push(event);
    for (const w of [...waiters]) {
      if (event.startsWith(w.prefix)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(event);
      }
    }
  });

  const proc: WorkerProcess = {
    events,
    waitFor(prefix, timeoutMs = 60_000) {
      const seen = events.slice(ownStart).find((e) => e.startsWith(prefix));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`worker never reported "${prefix}" within ${timeoutMs}ms; last events: ${events.slice(-5).join(' | ')}; stderr: ${stderr}`)), timeoutMs);
        timer.unref();
        void exited.then(() => { clearTimeout(timer); reject(new Error(`worker exited before "${prefix}"; stderr: ${stderr}`)); });
        waiters.push({ prefix, resolve: (e) => { clearTimeout(timer); resolve(e); } });
      });
    },
    output: () => output.join(''),
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  await proc.waitFor('ready');
  return proc;
}
