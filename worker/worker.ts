// Worker bootstrap: registers the workflows and the activities with their dependencies.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, defaultImplementers, type ActivityDeps } from '../activities';
import type { Config } from './config';

const here = path.dirname(fileURLToPath(import.meta.url));
export const WORKFLOWS_PATH = path.resolve(here, '../workflows/index.ts');

export function defaultStateDir(config?: Pick<Config, 'INFRA_IMPLEMENTOR_STATE_DIR'>): string {
  return config?.INFRA_IMPLEMENTOR_STATE_DIR ?? path.join(process.env.XDG_STATE_HOME ?? path.join(os.homedir(), '.local', 'state'), 'infra-implementor');
}

export function activityDeps(config: Config, overrides: Partial<ActivityDeps> = {}): ActivityDeps {
  return {
    stateDir: defaultStateDir(config),
    implementers: { ...defaultImplementers, ...(overrides.implementers ?? {}) },
    ...(overrides.validate ? { validate: overrides.validate } : {}),
    ...(overrides.stateDir ? { stateDir: overrides.stateDir } : {}),
  };
}

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** Extra worker options (tests: shorter shutdown, interceptors). */
  workerOptions?: Partial<WorkerOptions>;
}

export async function createWorker(opts: CreateWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowsPath: WORKFLOWS_PATH,
    activities: createActivities(opts.deps),
    ...opts.workerOptions,
  });
}
