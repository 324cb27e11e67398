// Temporal's own cost of a run's steps, for the overhead bench: a workflow that calls, in a row, one
// activity per step of a measured run which only waits as long as that step took (so that the
// worker's pollers meet the same pace: steps of a millisecond or two would miss the sticky poller
// and measure the server's backlog instead), with the implementor's activity options, bundled with
// the production workflow interceptors and run by a worker with the production options and activity
// interceptors. Its length less the steps' own is what any workflow of those steps pays to Temporal
// on this server and machine.
import { proxyActivities } from '@temporalio/workflow';
import { LIVENESS_TIMEOUT } from '../workflows/liveness';

export interface FloorActivities { floorStep(ms: number): Promise<number> }

const { floorStep } = proxyActivities<FloorActivities>({ startToCloseTimeout: '1m', heartbeatTimeout: LIVENESS_TIMEOUT, retry: { initialInterval: '1s', maximumAttempts: 5 } });

/** Each step waits its duration (ms); returns how many steps ran. */
export async function orchestrationFloor(durationsMs: number[]): Promise<number> {
  let done = 0;
  for (const ms of durationsMs) done += await floorStep(ms) === ms ? 1 : 0;
  return done;
}
