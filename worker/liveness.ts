// What makes a crashed worker cost seconds, not minutes. Every activity is proxied with a heartbeat
// timeout of a few seconds (workflows/), and this worker heartbeats every activity it runs while it
// runs, so a heartbeat goes missing only when the worker is gone: the server then retries the
// activity on a live worker (after the retry policy's initialInterval). A worker restarted with the
// dead one's state dir does not wait for that: it fails the dead worker's attempts for an immediate
// retry as it starts (worker/restart.ts). Long activities also heartbeat their own progress
// (validation targets, LLM stream chunks); this beat only says "alive". The worker options below
// are the ones production runs with, and the crash tests use them unchanged.
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
 * - a workflow task left on a sticky queue nobody polls is given up after 2 s (default 10 s), so
 *   the run's next workflow task reaches a live worker promptly; a busy live worker that misses it
 *   replays from history. (A stopping worker resets the sticky queue of each run whose activity ends
 *   during the stop, and a restarted one of each run it takes over, so neither waits for this.)
 * - heartbeats reach the server every 2 s at most (the SDK's default is 80% of the heartbeat
 *   timeout): 2.5 beats per 5 s timeout, so a live worker's beat may be 3 s late at the server before
 *   the worker is taken for lost. The beat above is called every 1 s and the SDK's core sends the
 *   latest one as soon as its throttle lapses, so the event loop must stall about 4 s (the timeout
 *   less the timer) to miss one; its worst stall measured under 100 runs was 0.9 s. Each beat is a
 *   Temporal Cloud action and a database write, and waiting on the model is most of a run: at 1 s,
 *   heartbeats were three quarters of the actions (docs/CAPACITY.md). A lost worker is still found
 *   by the 5 s timeout, and a restarted one hands over at once (worker/restart.ts), so the crash
 *   cost does not depend on this; a cancellation reaches a running activity with a beat's response,
 *   up to 2 s after it is asked;
 * - on SIGTERM/SIGINT running activities get `shutdownGraceTime` to finish (the Deployment's
 *   terminationGracePeriodSeconds, 60 s, leaves room for it); then they are cancelled, and the server
 *   retries them on another worker after the retry policy's initialInterval.
 */
export const PRODUCTION_WORKER_OPTIONS = {
  stickyQueueScheduleToStartTimeout: '2s',
  maxHeartbeatThrottleInterval: '2s',
  defaultHeartbeatThrottleInterval: '2s',
  shutdownGraceTime: '30s',
} as const satisfies Partial<WorkerOptions>;
