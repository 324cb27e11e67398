// The implementor's activities, one block per kind of work, so a reader sees each policy next to
// what it governs. Every block has a heartbeat timeout of seconds: the worker beats for every
// activity it runs (worker/liveness.ts), so a beat goes missing only when the worker is gone, and
// the activity is retried on a live one after the block's initialInterval. A worker restarted with
// the dead one's state dir, or one stopping past its grace time, fails the attempt with no retry
// delay instead (worker/restart.ts), so initialInterval spaces the retries of genuine failures and
// of workers lost for good. Start-to-close timeouts bound a step that hangs on a live worker.
// `taskQueue` is the queue of the worker holding the run's workspace; with `hostTimeout`, a step
// that no worker takes from that queue in time means the worker is lost for good (run-workspace.ts
// rebuilds the workspace elsewhere).
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { NON_RETRYABLE } from '../core/failures';
import { LIVENESS_TIMEOUT } from './liveness';

export const hostActivities = (taskQueue?: string, hostTimeout?: string) => {
  const where = { ...(taskQueue ? { taskQueue } : {}), ...(hostTimeout ? { scheduleToStartTimeout: hostTimeout } : {}) };
  return {
    files: proxyActivities<Activities>({
      ...where,
      startToCloseTimeout: '2m',
      heartbeatTimeout: LIVENESS_TIMEOUT,
      retry: { initialInterval: '1s', maximumAttempts: 5, nonRetryableErrorTypes: [...NON_RETRYABLE.files] },
    }),
    // A proposal (up to three streamed calls of long output), an agent's model turn, or its tool calls
    // (a Validate among them); the stream's own idle timeout catches a stall.
    implementer: proxyActivities<Activities>({
      ...where,
      startToCloseTimeout: '30m',
      heartbeatTimeout: LIVENESS_TIMEOUT,
      retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 8, nonRetryableErrorTypes: [...NON_RETRYABLE.implementer] },
    }),
    validators: proxyActivities<Activities>({
      ...where,
      startToCloseTimeout: '20m',
      heartbeatTimeout: LIVENESS_TIMEOUT,
      retry: { initialInterval: '1s', maximumAttempts: 3, nonRetryableErrorTypes: [...NON_RETRYABLE.validators] },
    }),
    git: proxyActivities<Activities>({
      ...where,
      startToCloseTimeout: '5m',
      heartbeatTimeout: LIVENESS_TIMEOUT,
      retry: { initialInterval: '1s', maximumAttempts: 5, nonRetryableErrorTypes: [...NON_RETRYABLE.git] },
    }),
    delivery: proxyActivities<Activities>({
      ...where,
      startToCloseTimeout: '10m',
      heartbeatTimeout: LIVENESS_TIMEOUT,
      retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 6, nonRetryableErrorTypes: [...NON_RETRYABLE.delivery] },
    }),
  };
};
export type HostActivities = ReturnType<typeof hostActivities>;

/** Asked on the shared queue: which worker takes the run (its workspace lives on its disk), and opens it there. */
export const sharedActivities = proxyActivities<Activities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: LIVENESS_TIMEOUT,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 10, nonRetryableErrorTypes: [...NON_RETRYABLE.workspace] },
});
