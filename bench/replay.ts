// replay: the time to replay the longest recorded history (most events) in test/histories/ that
// today's code records (not the `@vN` recordings kept for older runs), with a prebuilt bundle as a
// production worker would (a replay worker per call, as after a cache eviction).
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { HISTORIES_DIR, isOlderRecording, recordedWorkflowId } from '../test/helpers/histories';
import { median, round, timed, type Lab } from './harness';
import { telemetrySinks } from '../worker/telemetry/interceptors';

export interface ReplayFigures {
  history: string;
  events: number;
  reps: number;
  /** The first replay (cold) and the median of the following ones. */
  firstMs: number;
  medianMs: number;
}

function longestHistory() {
  const all = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json') && !isOlderRecording(f)).map((f) => {
    const history = historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES_DIR, f), 'utf8')));
    return { name: f, history, events: history.events?.length ?? 0 };
  });
  const longest = all.sort((a, b) => b.events - a.events)[0];
  if (!longest) throw new Error(`no recorded history in ${HISTORIES_DIR}`);
  return longest;
}

export async function measureReplay(lab: Pick<Lab, 'bundle'>, opts: { reps: number }): Promise<ReplayFigures> {
  const { name, history, events } = longestHistory();
  const times: number[] = [];
  for (let i = 0; i <= opts.reps; i++) {
    times.push((await timed(() => Worker.runReplayHistory({ workflowBundle: lab.bundle, sinks: telemetrySinks() }, history, recordedWorkflowId(name)))).ms);
  }
  return { history: name, events, reps: opts.reps, firstMs: round(times[0] ?? NaN, 1), medianMs: round(median(times.slice(1)), 1) };
}
