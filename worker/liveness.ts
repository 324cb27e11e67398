// What makes a crashed worker cost seconds, not minutes. Every activity is proxied with a heartbeat
// timeout of a few seconds (workflows/), and this worker heartbeats every activity it runs while it
// runs, so a heartbeat goes missing only when the worker is gone: the server then retries the
// activity at once on a live worker. Long activities also heartbeat their own progress (validation
// targets, LLM stream chunks); this beat only says "alive". The worker options below are the ones
// production runs with, and the crash tests use them unchanged.
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory, WorkerOptions } from '@temporalio/worker';

/** Beat at least this often, and at least three times within the activity's heartbeat timeout. */
const MAX_INTERVAL_MS = 1_000;

export const livenessInterceptor: ActivityInterceptorsFactory = (ctx) => {
  const inbound: ActivityInboundCallsInterceptor = {
    async execute(input, next) {
      const timeout = ctx.info.heartbeatTimeoutMs;
      if (!timeout) return next(input);
      const beat = setInterval(() => ctx.heartbeat(), Math.min(MAX_INTERVAL_MS, Math.max(100, Math.floor(timeout / 3))));
      try {
        return await next(input);
      } finally {
        clearInterval(beat);
      }
    },
  };
  return { inbound };
};

/**
 * Worker options of production (and of every test that measures what users pay):
 * - a dead worker's sticky queue is given up after 2 s (default 10 s), so the run's next workflow
 *   task reaches a live worker promptly; a busy live worker that misses it replays from history;
 * - heartbeats reach the server at least every second, well inside the heartbeat timeouts;
 * - on SIGTERM/SIGINT running activities get `shutdownGraceTime` to finish (the Deployment's
 *   terminationGracePeriodSeconds, 60 s, leaves room for it); then they are cancelled, and the server
 *   retries them at once on another worker.
 */
export const PRODUCTION_WORKER_OPTIONS = {
  stickyQueueScheduleToStartTimeout: '2s',
  maxHeartbeatThrottleInterval: '1s',
  defaultHeartbeatThrottleInterval: '1s',
  shutdownGraceTime: '30s',
} as const satisfies Partial<WorkerOptions>;
