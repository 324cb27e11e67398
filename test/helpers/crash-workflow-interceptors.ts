// Workflow interceptor of the crash-test workers only: every activity gets a short heartbeat
// timeout, so an activity whose worker was SIGKILLed is retried within seconds instead of after
// the production start-to-close / heartbeat timeouts (2m and more), and retries start after
// 200ms instead of 1-2s. Attempts and non-retryable types stay as in production; the crash workers
// heartbeat every live activity (worker-main.ts), so only a dead worker's activities time out.
// Bundled into the test workflow code: sandbox-safe.
import type { WorkflowInterceptors } from '@temporalio/workflow';

export const CRASH_HEARTBEAT_TIMEOUT = '5s';
export const CRASH_RETRY_INTERVAL = '200ms';

export const interceptors = (): WorkflowInterceptors => ({
  outbound: [
    {
      scheduleActivity: (input, next) => next({
        ...input,
        options: {
          ...input.options,
          heartbeatTimeout: CRASH_HEARTBEAT_TIMEOUT,
          retry: { ...input.options.retry, initialInterval: CRASH_RETRY_INTERVAL },
        },
      }),
    },
  ],
});
