// Worker bootstrap: registers the workflows and the activities with their dependencies, on the
// shared task queue and on this worker's own queue (for activities that touch its worktrees).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, defaultImplementers, type ActivityDeps } from '../activities';
import type { Config } from './config';
import { livenessInterceptor, PRODUCTION_WORKER_OPTIONS } from './liveness';
import { handOver } from './restart';
import { dataConverterFromEnv } from '../core/payload-codec';
import { activityTelemetry, telemetrySinks } from './telemetry/interceptors';
import { inWorkflowThreads } from './async-context-frames';
import { defaultMaxCachedWorkflows } from './workflow-cache';

const here = path.dirname(fileURLToPath(import.meta.url));
export const WORKFLOWS_PATH = path.resolve(here, '../workflows/index.ts');
export const WORKFLOW_BUNDLE_FILE = 'workflow-bundle.js';
/** The workflow interceptors of every bundle: tracing, ids on log lines, run metrics (workflows/interceptors.ts). */
export const WORKFLOW_INTERCEPTORS_PATH = path.resolve(here, '../workflows/interceptors.ts');

/**
 * What every workflow bundle is made of, for `bundleWorkflowCode` (production build, benchmarks,
 * tests) and replay: a bundle without the run's interceptors would not replay the run it recorded.
 */
export function workflowBundleOptions(extraInterceptors: string[] = []): { workflowsPath: string; workflowInterceptorModules: string[] } {
  return { workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules: [WORKFLOW_INTERCEPTORS_PATH, ...extraInterceptors] };
}

/** Replay with the same interceptors (and their sink) as the run: STYLE.md's rule for replay bundles. */
export function replayOptions(workflowsPath = WORKFLOWS_PATH): Pick<WorkerOptions, 'workflowsPath' | 'interceptors' | 'sinks'> {
  return { workflowsPath, interceptors: { workflowModules: [WORKFLOW_INTERCEPTORS_PATH] }, sinks: telemetrySinks() };
}

/**
 * The workflow code a worker loads when its caller names none. `npm run build` (scripts/build.ts)
 * writes the bundle next to the compiled modules, so it exists only when this module runs from
 * dist/: the production worker then loads it instead of bundling the sources with webpack at every
 * start. From the sources (tsx) there is no such file, and the worker bundles WORKFLOWS_PATH as before.
 */
function defaultWorkflowCode(): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  const codePath = path.join(here, WORKFLOW_BUNDLE_FILE);
  return existsSync(codePath) ? { workflowBundle: { codePath } } : { workflowsPath: WORKFLOWS_PATH };
}

/** Payload encryption when INFRA_IMPLEMENTOR_CODEC_KEYS is set (core/payload-codec.ts). */
function withCodec(): Pick<WorkerOptions, 'dataConverter'> {
  const dataConverter = dataConverterFromEnv();
  return dataConverter ? { dataConverter } : {};
}

export function defaultStateDir(config?: Pick<Config, 'INFRA_IMPLEMENTOR_STATE_DIR'>): string {
  return config?.INFRA_IMPLEMENTOR_STATE_DIR ?? path.join(process.env.XDG_STATE_HOME ?? path.join(os.homedir(), '.local', 'state'), 'infra-implementor');
}

export function activityDeps(config: Config, overrides: Partial<ActivityDeps> = {}): ActivityDeps {
  return {
    stateDir: defaultStateDir(config),
    implementers: { ...defaultImplementers, ...(overrides.implementers ?? {}) },
    ...(overrides.agents ? { agents: overrides.agents } : {}),
    ...(overrides.validate ? { validate: overrides.validate } : {}),
    ...(overrides.stateDir ? { stateDir: overrides.stateDir } : {}),
    ...(config.INFRA_IMPLEMENTOR_HOST_QUEUE ? { hostTaskQueue: config.INFRA_IMPLEMENTOR_HOST_QUEUE } : {}),
    ...(config.INFRA_IMPLEMENTOR_NOTIFY_URL ? { notifyUrl: config.INFRA_IMPLEMENTOR_NOTIFY_URL } : {}),
    ...(overrides.notifyUrl ? { notifyUrl: overrides.notifyUrl } : {}),
    ...(config.INFRA_IMPLEMENTOR_UI_URL ? { uiUrl: config.INFRA_IMPLEMENTOR_UI_URL } : {}),
  };
}

/** Worker options the environment sets (worker/config.ts), for runWorker. */
export function workerOptionsFromConfig(config: Pick<Config, 'INFRA_IMPLEMENTOR_MAX_CACHED_WORKFLOWS'>): Partial<WorkerOptions> {
  return config.INFRA_IMPLEMENTOR_MAX_CACHED_WORKFLOWS ? { maxCachedWorkflows: config.INFRA_IMPLEMENTOR_MAX_CACHED_WORKFLOWS } : {};
}

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** Extra worker options (tests: shorter shutdown, interceptors). */
  workerOptions?: Partial<WorkerOptions>;
}

/**
 * What every worker runs with: the production options (worker/liveness.ts) and the workflow cache
 * (worker/workflow-cache.ts) under the caller's, the
 * liveness beat and the telemetry interceptors before the caller's activity interceptors, telemetry
 * sinks, and the workflow interceptors when the worker bundles sources (a prebuilt bundle already
 * holds them).
 */
export function workerDefaults(options: Partial<WorkerOptions>, bundlesSources = !options.workflowBundle): Partial<WorkerOptions> {
  const { interceptors = {}, sinks = {}, ...rest } = options;
  return {
    ...PRODUCTION_WORKER_OPTIONS,
    maxCachedWorkflows: defaultMaxCachedWorkflows(),
    ...rest,
    interceptors: {
      ...interceptors,
      activity: [livenessInterceptor, ...activityTelemetry, ...(interceptors.activity ?? [])],
      ...(bundlesSources ? { workflowModules: [WORKFLOW_INTERCEPTORS_PATH, ...(interceptors.workflowModules ?? [])] } : {}),
    },
    sinks: { ...telemetrySinks(), ...sinks },
  };
}

export async function createWorker(opts: CreateWorkerOptions): Promise<Worker> {
  // The caller's workflow code (tests, benchmarks) when given, else defaultWorkflowCode().
  const code = opts.workerOptions?.workflowBundle || opts.workerOptions?.workflowsPath ? {} : defaultWorkflowCode();
  // Before the SDK starts its workflow threads: their AsyncLocalStorage keeps a frame per context.
  inWorkflowThreads();
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: createActivities(opts.deps),
    ...withCodec(),
    ...workerDefaults({ ...code, ...opts.workerOptions }),
  });
}

/**
 * The queue of the worker holding the worktrees under `stateDir` on this host:
 * `<shared>@<host>-<hash of the state dir>`. Stable across restarts, so that a worker started again
 * with the same state dir takes up the work its predecessor left on the queue.
 */
export function hostTaskQueueFor(shared: string, stateDir: string): string {
  const dir = createHash('sha256').update(path.resolve(stateDir)).digest('hex').slice(0, 8);
  return `${shared}@${os.hostname()}-${dir}`;
}

/**
 * The shared worker (workflows and activities) and its host-specific twin (the same activities on
 * a queue of its own), run and stopped together. A feature workflow asks the shared queue which
 * host takes it (`workerTaskQueue`), then sends everything touching its worktrees there.
 */
export interface WorkerSet {
  shared: Worker;
  host: Worker;
  hostTaskQueue: string;
  run(): Promise<void>;
  runUntil<R>(until: Promise<R> | (() => Promise<R>)): Promise<R>;
  shutdown(): void;
}

/** `deps.hostTaskQueue` (INFRA_IMPLEMENTOR_HOST_QUEUE) overrides the host queue derived from the state dir. */
export async function createWorkers(opts: CreateWorkerOptions): Promise<WorkerSet> {
  const hostTaskQueue = opts.deps.hostTaskQueue ?? hostTaskQueueFor(opts.taskQueue, opts.deps.stateDir);
  const deps: ActivityDeps = { ...opts.deps, hostTaskQueue };
  // What a predecessor with this state dir left running is retried now, before either worker polls;
  // what these workers run is written down for their own successor (worker/restart.ts).
  const hand = handOver(opts.connection, opts.namespace, deps.stateDir);
  await hand.takeOver();
  const interceptors = { ...opts.workerOptions?.interceptors, activity: [hand.interceptor, ...(opts.workerOptions?.interceptors?.activity ?? [])] };
  const shared = await createWorker({ ...opts, deps, workerOptions: { ...opts.workerOptions, interceptors } });
  // The twin runs activities only: workflow code passed in workerOptions stays with the shared worker.
  const { workflowBundle: _bundle, workflowsPath: _path, ...activityOptions } = { ...opts.workerOptions, interceptors };
  const host = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: hostTaskQueue,
    activities: createActivities(deps),
    ...withCodec(),
    ...workerDefaults(activityOptions, false),
  });
  hand.watch([shared, host]);
  return {
    shared,
    host,
    hostTaskQueue,
    run: async () => {
      await Promise.all([shared.run(), host.run()]);
    },
    runUntil: (until) => shared.runUntil(host.runUntil(until)),
    shutdown: () => {
      for (const w of [shared, host]) if (w.getState() === 'RUNNING') w.shutdown();
    },
  };
}
