// One real Temporal dev server per test file; each test runs its own worker on its own task queue.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { installRuntime } from '../../worker/runtime';
import { defaultImplementers, type ActivityDeps } from '../../activities';
import { startDevServer } from '../../worker/temporal-server';
import { createWorker, createWorkers, type WorkerSet } from '../../worker/worker';

export interface TestServer {
  env: TestWorkflowEnvironment;
  /** A worker on a fresh task queue; pass its queue to the client. */
  worker(deps?: Partial<ActivityDeps>): Promise<{ worker: Worker; taskQueue: string }>;
  /** The production pair (shared queue + this worker's host queue), as the feature workflow needs. */
  workers(deps?: Partial<ActivityDeps>): Promise<{ workers: WorkerSet; taskQueue: string; stateDir: string }>;
  stop(): Promise<void>;
}

/** `uiPort` also starts the Web UI there (for browser tests); without it the server has no UI. */
export async function startTestServer(opts: { uiPort?: number } = {}): Promise<TestServer> {
  // Worker state chatter drowns test output; warnings and errors still show.
  installRuntime('WARN');
  const env = await startDevServer(opts.uiPort ? { uiPort: opts.uiPort } : {});
  return {
    env,
    async worker(deps = {}) {
      const taskQueue = `test-${randomUUID()}`;
      const worker = await createWorker({
        connection: env.nativeConnection,
        namespace: env.namespace ?? 'default',
        taskQueue,
        deps: {
          stateDir: deps.stateDir ?? mkdtempSync(path.join(os.tmpdir(), 'ii-state-')),
          implementers: { ...defaultImplementers, ...(deps.implementers ?? {}) },
          ...(deps.agents ? { agents: deps.agents } : {}),
          ...(deps.validate ? { validate: deps.validate } : {}),
          ...(deps.notifyUrl ? { notifyUrl: deps.notifyUrl } : {}),
        },
        // The production grace (30 s) only matters for a worker stopped mid-activity; a test's worker
        // is stopped when its runs are done, and a shorter grace keeps a failed test from hanging.
        workerOptions: { shutdownGraceTime: '1s' },
      });
      return { worker, taskQueue };
    },
    async workers(deps = {}) {
      const taskQueue = `test-${randomUUID()}`;
      const stateDir = deps.stateDir ?? mkdtempSync(path.join(os.tmpdir(), 'ii-state-'));
      const workers = await createWorkers({
        connection: env.nativeConnection,
        namespace: env.namespace ?? 'default',
        taskQueue,
        deps: {
          stateDir,
          implementers: { ...defaultImplementers, ...(deps.implementers ?? {}) },
          ...(deps.agents ? { agents: deps.agents } : {}),
          ...(deps.validate ? { validate: deps.validate } : {}),
        },
        workerOptions: { shutdownGraceTime: '1s' },
      });
      return { workers, taskQueue, stateDir };
    },
    stop: () => env.teardown(),
  };
}

