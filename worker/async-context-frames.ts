// AsyncLocalStorage in the workflow threads, as one storage holding a frame per async context.
//
// Why: Node 20's AsyncLocalStorage writes, on every promise (every async resource) created in a
// thread, one property per enabled storage of that thread, copied from the promise's parent. The
// workflow sandbox enables about two storages per cached run (the SDK's cancellation scopes, the
// OpenTelemetry context manager) and keeps them until the run leaves the cache, so with 100 runs
// cached every promise the workflow thread creates carries ~200 symbol properties (a ~6 KB
// dictionary), and creating it walks all 200 storages: memory and time per run grow with the number
// of runs cached (bench/memory.ts measures the heap per run). Node 24 fixed this in Node itself
// (AsyncContextFrame: one frame per context, shared by reference); this is the same design in a few
// lines: every AsyncLocalStorage of the thread keeps its value in a frame (a Map from storage to
// value) held by ONE native AsyncLocalStorage, so a promise carries one property whatever the
// number of storages, and `run` copies only the few entries of the current frame.
//
// The SDK starts its workflow threads with `new Worker(file)` and no options, and its sandbox
// subclasses `require('node:async_hooks').AsyncLocalStorage` when the thread sets up; so the class
// is replaced in those threads before they load anything: `inWorkflowThreads()` passes them an
// `--import` of installAsyncContextFrames' own source. The main thread keeps Node's class (it holds
// a handful of storages). Semantics are Node's: run, enterWith, exit, disable, getStore, bind, snapshot.
import type * as AsyncHooks from 'node:async_hooks';
import workerThreads from 'node:worker_threads';

/**
 * Replace `asyncHooks.AsyncLocalStorage` in this thread. Self-contained (it references nothing but
 * its argument and globals): it is shipped to the workflow threads as its source text.
 */
export function installAsyncContextFrames(asyncHooks: typeof AsyncHooks): void {
  const Native = asyncHooks.AsyncLocalStorage;
  if ((Native as { frames?: boolean }).frames) return;
  type Frame = ReadonlyMap<object, unknown>;
  const holder = new Native<Frame>();
  const empty: Frame = new Map();
  const current = (): Frame => holder.getStore() ?? empty;
  class AsyncLocalStorage<T> {
    static readonly frames = true;
    static bind = Native.bind.bind(Native);
    static snapshot = Native.snapshot.bind(Native);
    enabled = false;
    disable(): void {
      this.enabled = false;
    }
    getStore(): T | undefined {
      return this.enabled ? (current().get(this) as T | undefined) : undefined;
    }
    enterWith(store: T): void {
      this.enabled = true;
      holder.enterWith(new Map(current()).set(this, store));
    }
    run<R, A extends unknown[]>(store: T, callback: (...args: A) => R, ...args: A): R {
      if (Object.is(store, this.getStore())) return callback(...args);
      this.enabled = true;
      return holder.run(new Map(current()).set(this, store), callback, ...args);
    }
    exit<R, A extends unknown[]>(callback: (...args: A) => R, ...args: A): R {
      if (!this.enabled) return callback(...args);
      const frame = new Map(current());
      frame.delete(this);
      return holder.run(frame, callback, ...args);
    }
  }
  (asyncHooks as { AsyncLocalStorage: unknown }).AsyncLocalStorage = AsyncLocalStorage;
}

/**
 * Node options that install the frames in a new worker thread before its entry module loads. The
 * function's text is as the transpiler left it (tsx keeps names with an `__name(fn, name)` helper,
 * which the module defines: names are all it does).
 */
export const FRAMES_EXEC_ARGV: readonly string[] = [
  '--import',
  `data:text/javascript,${encodeURIComponent([
    "import asyncHooks from 'node:async_hooks';",
    'const __name = (target) => target;',
    `(${installAsyncContextFrames.toString()})(asyncHooks);`,
  ].join('\n'))}`,
];

/** The SDK's workflow thread entry (@temporalio/worker/lib/workflow/threaded-vm.js starts it). */
const WORKFLOW_THREAD = /[\\/]@temporalio[\\/]worker[\\/]lib[\\/]workflow[\\/]workflow-worker-thread\.js$/;

let installed = false;

/**
 * From now on, the SDK's workflow threads start with the frames (the threads it started before keep
 * Node's class); other worker threads, and any thread given its own execArgv, are left as they are.
 */
export function inWorkflowThreads(): void {
  if (installed) return;
  installed = true;
  const Original = workerThreads.Worker;
  class Worker extends Original {
    constructor(filename: string | URL, options?: workerThreads.WorkerOptions) {
      const workflowThread = WORKFLOW_THREAD.test(String(filename)) && options?.execArgv === undefined;
      super(filename, workflowThread ? { ...options, execArgv: [...process.execArgv, ...FRAMES_EXEC_ARGV] } : options);
    }
  }
  (workerThreads as { Worker: typeof Original }).Worker = Worker;
}
