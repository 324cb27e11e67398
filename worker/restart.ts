// A worker hands its runs over promptly when it stops, whether it is told to or dies.
//
// Dies (SIGKILL, OOM) and comes back with the same state dir (a pod's container restarted: same pod,
// same emptyDir, same host queue): each activity a worker runs is written down in the state dir
// while it runs (one small file, removed when it ends). At start-up, before polling, a record left
// by a process that is gone is an activity nobody runs any more. If the server still has that very
// attempt as started, the successor:
// - resets the run's sticky queue, so the run's next workflow task goes to the normal queue at once;
// - fails the attempt (a retryable `WorkerRestarted` failure with no retry delay), so the server
//   retries it now, not after the heartbeat timeout and the retry policy's initialInterval.
// A worker that comes back elsewhere (a new pod, another state dir) finds no record: there the
// heartbeat timeout and the host timeout (workflows/run-workspace.ts) still do the work. But the
// worker that takes the retry, when the attempt before it timed out while running, resets the
// run's sticky queue before it runs the step: the run's next workflow task would otherwise go to
// the lost worker's sticky queue and wait there for stickyQueueScheduleToStartTimeout.
//
// Told to stop (SIGTERM): an activity that ends while its worker is stopping resets its run's sticky
// queue before its result is reported. Otherwise the run's next workflow task would go to the
// stopping worker's sticky queue, which no longer polls, and wait there for
// stickyQueueScheduleToStartTimeout before another worker may take it. An activity the stop cancels
// (after shutdownGraceTime) fails as `WorkerStopped` with no retry delay, so another worker retries
// it now; genuine failures keep the retry policy's initialInterval.
//
// Cost: a file written and removed per activity; at start-up, three requests per activity left
// behind; at a stop, one request per activity that ends during it; one request per retried attempt
// (two when the attempt before it timed out while running).
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Runtime, type ActivityInterceptorsFactory, type NativeConnection, type Worker } from '@temporalio/worker';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import proto from '@temporalio/proto';
import { z } from 'zod';

/** This process's life: a container's restarted PID 1 has its predecessor's pid, never its life. */
const LIFE = randomUUID();
const { TimeoutType } = proto.temporal.api.enums.v1;
/** The identity the SDK gives this process's workers (and the server records on each attempt). */
const IDENTITY = `${process.pid}@${os.hostname()}`;

const InFlightRecord = z.object({
  host: z.string(), pid: z.number().int(), life: z.string(), workflowId: z.string(), runId: z.string(), activityId: z.string(), activityType: z.string(), attempt: z.number().int(),
});
type InFlight = z.infer<typeof InFlightRecord>;

export const WORKER_RESTARTED = 'WorkerRestarted';
export const WORKER_STOPPED = 'WorkerStopped';
const dirOf = (stateDir: string) => path.join(stateDir, 'in-flight');
const fileOf = (stateDir: string, r: Pick<InFlight, 'workflowId' | 'runId' | 'activityId'>) =>
  path.join(dirOf(stateDir), `${createHash('sha256').update(`${r.workflowId}\n${r.runId}\n${r.activityId}`).digest('hex').slice(0, 32)}.json`);

/** The process that wrote a record is gone: another host's record (a shared volume) never is, as far as we know. */
function writerIsGone(r: InFlight): boolean {
  if (r.host !== os.hostname()) return false;
  if (r.pid === process.pid) return r.life !== LIFE; // our pid and another life: a container's PID 1 restarted
  try {
    process.kill(r.pid, 0);
    return false; // alive, or the pid reused: leave it to the heartbeat timeout
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export interface TakenOver { workflowId: string; activityId: string; activityType: string; attempt: number }

export interface HandOver {
  /** The activity interceptor of every worker of the process: records, and the reset at a stop. */
  interceptor: ActivityInterceptorsFactory;
  /** The workers whose stop the interceptor watches for. */
  watch(workers: Worker[]): void;
  /** At start-up, before polling: the activities a dead predecessor left, failed for an immediate retry. Never throws. */
  takeOver(): Promise<TakenOver[]>;
}

export function handOver(connection: NativeConnection, namespace: string, stateDir: string): HandOver {
  let workers: Worker[] = [];
  const stopping = () => workers.some((w) => w.getState() !== 'RUNNING');
  const resetSticky = (execution: { workflowId: string; runId: string }) =>
    connection.workflowService.resetStickyTaskQueue({ namespace, execution }).then(() => undefined, () => undefined);
  /**
   * A retry whose previous attempt timed out while running (its worker stopped beating: lost, most
   * likely): that worker's sticky queue is not to be waited on. (The server records this attempt's
   * worker as the last one, so the lost one cannot be told apart from a live one that missed its
   * beats; for a live one the reset costs one replay of the run.)
   */
  const afterLostWorker = async (execution: { workflowId: string; runId: string }, activityId: string) => {
    const described = await connection.workflowService.describeWorkflowExecution({ namespace, execution }).catch(() => undefined);
    const timeout = described?.pendingActivities?.find((a) => a.activityId === activityId)?.lastFailure?.timeoutFailureInfo?.timeoutType;
    if (timeout === TimeoutType.TIMEOUT_TYPE_HEARTBEAT || timeout === TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE) await resetSticky(execution);
  };
  // The records' directory is made when a write finds it missing (the first, or after a sweep), not before every write.
  const writeRecord = async (file: string, record: InFlight) => {
    await fs.writeFile(file, JSON.stringify(record)).catch(async (e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
      await fs.mkdir(dirOf(stateDir), { recursive: true });
      await fs.writeFile(file, JSON.stringify(record));
    });
  };
  return {
    watch: (w) => { workers = w; },
    interceptor: (ctx) => ({
      inbound: {
        async execute(input, next) {
          const { workflowExecution, activityId, activityType, attempt } = ctx.info;
          if (!workflowExecution?.workflowId || !workflowExecution.runId) return next(input); // no run to hand over
          const execution = { workflowId: workflowExecution.workflowId, runId: workflowExecution.runId };
          const record: InFlight = { host: os.hostname(), pid: process.pid, life: LIFE, ...execution, activityId, activityType, attempt };
          const file = fileOf(stateDir, record);
          // A record that cannot be written costs only the prompt take-over: the heartbeat timeout still holds.
          const written = await writeRecord(file, record).then(() => true, () => false);
          if (attempt > 1) await afterLostWorker(execution, activityId);
          try {
            return await next(input);
          } catch (err) {
            // Cancelled by this worker's stop (not by the run): retried at once elsewhere, not after initialInterval.
            if (stopping() && err instanceof CancelledFailure && !ctx.cancellationDetails?.cancelRequested) {
              throw ApplicationFailure.create({ message: `the worker stopped before ${activityType} ended`, type: WORKER_STOPPED, nextRetryDelay: 1, cause: err });
            }
            throw err;
          } finally {
            if (stopping()) await resetSticky(execution);
            if (written) await fs.rm(file, { force: true });
          }
        },
      },
    }),
    async takeOver() {
      try {
        const taken = await takeOver(connection, namespace, stateDir);
        if (taken.length) Runtime.instance().logger.info('retried now the activities a dead predecessor with this state dir was running', { activities: taken });
        return taken;
      } catch (e) {
        Runtime.instance().logger.warn('could not take over from a predecessor: its activities wait for their heartbeat timeout', { stateDir, error: (e as Error).message.split('\n')[0] });
        return [];
      }
    },
  };
}

async function takeOver(connection: NativeConnection, namespace: string, stateDir: string): Promise<TakenOver[]> {
  const dir = dirOf(stateDir);
  if (!existsSync(dir)) return [];
  const taken: TakenOver[] = [];
  const svc = connection.workflowService;
  const running = proto.temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;
  for (const name of await fs.readdir(dir)) {
    const file = path.join(dir, name);
    const parsed = InFlightRecord.safeParse(JSON.parse(await fs.readFile(file, 'utf8').catch(() => 'null')));
    if (!parsed.success) {
      await fs.rm(file, { force: true });
      continue;
    }
    const r = parsed.data;
    if (!writerIsGone(r)) continue;
    await fs.rm(file, { force: true });
    const execution = { workflowId: r.workflowId, runId: r.runId };
    const described = await svc.describeWorkflowExecution({ namespace, execution }).catch(() => undefined);
    const pending = described?.pendingActivities?.find((a) => a.activityId === r.activityId);
    // Only the very attempt that died: a later one (the heartbeat timeout already fired) runs on a live worker.
    if (!pending || pending.state !== running || pending.attempt !== r.attempt) continue;
    await svc.resetStickyTaskQueue({ namespace, execution }).catch(() => undefined);
    const failed = await svc.respondActivityTaskFailedById({
      namespace, ...execution, activityId: r.activityId, identity: IDENTITY,
      failure: {
        message: `the worker running ${r.activityType} (attempt ${r.attempt}) died and restarted`, source: 'TypeScriptSDK',
        // Retried at once, not after the retry policy's interval: that interval is for genuine failures.
        applicationFailureInfo: { type: WORKER_RESTARTED, nonRetryable: false, nextRetryDelay: { nanos: 1_000_000 } },
      },
    }).then(() => true, () => false); // the attempt timed out meanwhile: the server retries it anyway
    if (failed) taken.push({ workflowId: r.workflowId, activityId: r.activityId, activityType: r.activityType, attempt: r.attempt });
  }
  return taken;
}
