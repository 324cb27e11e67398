// Heartbeats from inside an activity's work (an LLM stream's events, validation targets) come far
// faster than anyone reads them: a streamed reply is hundreds of events. Every `Context.heartbeat`
// call encodes its details and crosses into the SDK's native core, which then keeps only the latest
// and sends it to the server once per throttle interval (worker/liveness.ts: 2 s). Forwarding one call
// per HEARTBEAT_GAP_MS loses nothing the server would have seen, and saves the worker the CPU of
// the rest (bench/RESULTS.md). The liveness beat (worker/liveness.ts) is not throttled here: it
// already beats only once a second.
import type { Context } from '@temporalio/activity';

/** At most one heartbeat per this many milliseconds reaches the SDK; the core's own throttle is 2 s. */
export const HEARTBEAT_GAP_MS = 200;

/** `ctx.heartbeat`, forwarding the first call and then at most one call per `gapMs` (the others are dropped). */
export function throttledHeartbeat(ctx: Pick<Context, 'heartbeat'>, gapMs = HEARTBEAT_GAP_MS): (details?: unknown) => void {
  let last = -Infinity;
  return (details?: unknown) => {
    const now = performance.now();
    if (now - last < gapMs) return;
    last = now;
    ctx.heartbeat(details);
  };
}
