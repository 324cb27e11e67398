// Long-running entry points: a worker against a Temporal service, and the embedded dev stack.
import { NativeConnection, Runtime } from '@temporalio/worker';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { Config } from './config';
import { startTelemetry } from './telemetry/start';
import { startDevServer, type DevServerOptions } from './temporal-server';
import { activityDeps, createWorkers, defaultStateDir, workerOptionsFromConfig } from './worker';
import { sweepStaleWorkspaces } from './sweep';
import { Connection } from '@temporalio/client';
import { workerImplementers } from './implementers';
import { healthPortFromEnv, startHealthServer } from './health';

export async function runWorker(config: Config): Promise<void> {
  const telemetry = startTelemetry(config);
  const connectConfig = loadClientConnectConfig();
  const connection = await NativeConnection.connect(connectConfig.connectionOptions);
  const worker = await createWorkers({
    connection,
    namespace: connectConfig.namespace ?? config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    deps: activityDeps(config, workerImplementers(config)),
    workerOptions: workerOptionsFromConfig(config),
  });
  Runtime.instance().logger.info('worker polling', {
    address: config.TEMPORAL_ADDRESS, taskQueue: config.TEMPORAL_TASK_QUEUE, hostTaskQueue: worker.hostTaskQueue,
    maxCachedWorkflows: worker.shared.options.maxCachedWorkflows,
  });
  await sweepAtStart(connectConfig, connectConfig.namespace ?? config.TEMPORAL_NAMESPACE, defaultStateDir(config));
  // Probes see the worse of the two workers' states (worker/health.ts).
  const healthPort = healthPortFromEnv();
  const health = healthPort
    ? await startHealthServer({ getState: () => [worker.shared, worker.host].map((w) => w.getState()).find((s) => s !== 'RUNNING') ?? 'RUNNING' }, { port: healthPort })
    : undefined;
  try {
    await worker.run(); // stops on SIGINT/SIGTERM
  } finally {
    await health?.close();
    await connection.close();
    await telemetry.stop();
  }
}

/** Workspaces of runs that closed while no worker could clean up; a failed sweep never stops the worker. */
async function sweepAtStart(connectConfig: ReturnType<typeof loadClientConnectConfig>, namespace: string, stateDir: string): Promise<void> {
  try {
    const connection = await Connection.connect(connectConfig.connectionOptions as Parameters<typeof Connection.connect>[0]);
    try {
      const swept = await sweepStaleWorkspaces(connection, namespace, stateDir);
      if (swept.length) Runtime.instance().logger.info('removed the workspaces of closed runs', { workflowIds: swept });
    } finally {
      await connection.close();
    }
  } catch (e) {
    Runtime.instance().logger.warn('could not sweep stale workspaces', { stateDir, error: (e as Error).message.split('\n')[0] });
  }
}

export async function runDev(config: Config, opts: DevServerOptions): Promise<void> {
  const telemetry = startTelemetry(config);
  const env = await startDevServer(opts);
  const address = env.connection.options.address;
  const worker = await createWorkers({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    deps: activityDeps(config, workerImplementers(config)),
  });
  process.stderr.write(`Temporal dev server at ${address}; Web UI at http://localhost:${opts.uiPort}\nworker polling ${config.TEMPORAL_TASK_QUEUE}; Ctrl-C to stop\n`);
  try {
    await worker.run();
  } finally {
    await env.teardown();
    await telemetry.stop();
  }
}
