// The worker of the throughput benchmark, in a process of its own so that its memory is measured
// alone: the production shape (prebuilt workflow bundle, anthropic implementer from the environment).
//   BENCH_BUNDLE=… BENCH_TASK_QUEUE=… TEMPORAL_ADDRESS=… ANTHROPIC_API_KEY=… ANTHROPIC_BASE_URL=…
//   BENCH_WORKER_OPTIONS='{"maxCachedWorkflows":20}' tries a tuning (JSON merged into WorkerOptions).
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../worker/config';
import { workerImplementers } from '../worker/implementers';
import { installRuntime } from '../worker/runtime';
import { createWorker } from '../worker/worker';

const config = loadConfig();
const codePath = process.env.BENCH_BUNDLE;
const taskQueue = process.env.BENCH_TASK_QUEUE;
if (!codePath || !taskQueue) throw new Error('BENCH_BUNDLE and BENCH_TASK_QUEUE must be set');

installRuntime('WARN');
const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
const worker = await createWorker({
  connection,
  namespace: config.TEMPORAL_NAMESPACE,
  taskQueue,
  deps: {
    stateDir: mkdtempSync(path.join(os.tmpdir(), 'ii-bench-state-')),
    implementers: workerImplementers(config),
  },
  workerOptions: { workflowBundle: { codePath }, shutdownGraceTime: '1s', ...JSON.parse(process.env.BENCH_WORKER_OPTIONS ?? '{}') as object },
});
process.stdout.write('ready\n');
// Where the memory is (V8 heap, Buffers, the rest is native: the SDK's core, code), for the parent
// to report beside the peak it measures from outside.
const sampler = setInterval(() => process.stdout.write(`memory ${JSON.stringify(process.memoryUsage())}\n`), 250);
try {
  await worker.run(); // until SIGTERM
} finally {
  clearInterval(sampler);
  await connection.close();
}
