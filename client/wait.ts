// What `implement --wait`, `feature --wait` and `result` do while a run works: watch its events,
// print each question on stderr the moment it is asked (and say when it is settled), show live
// progress on a terminal, then hand back the report. Stdout is left to the report alone.
import { isGrpcServiceError } from '@temporalio/client';
import type { FeatureReport } from '../core/feature';
import type { ImplementorReport } from '../core/schemas';
import type { ImplementorClient } from './client';
import { ProgressDisplay } from './progress';
import { formatQuestion, formatSettled } from './question-view';
import { watchRun } from './watch';

/** gRPC's status code for a run the server does not know. */
const GRPC_NOT_FOUND = 5;

/** How long the watcher may still print after the report arrived (its last events are on their way). */
const SETTLE_MS = 2000;

export interface WaitOptions {
  /**
   * Progress rows on a terminal only (the CLI: off a terminal the questions are what matters, the
   * rows would be noise in a log), or always (the demo, where progress is the point).
   */
  rows: 'tty' | 'always';
}

export async function waitWithProgress<R extends ImplementorReport | FeatureReport>(
  c: ImplementorClient, workflowId: string, err: NodeJS.WriteStream = process.stderr, opts: WaitOptions = { rows: 'tty' },
): Promise<R> {
  const display = new ProgressDisplay(err);
  const rows = display.tty || opts.rows === 'always';
  const stop = new AbortController();
  const ticking = display.tty ? setInterval(() => display.tick(), 1000) : undefined;
  const watching = watchRun(c.client, workflowId, {
    ...(rows ? { progress: (r) => display.update(r) } : {}),
    asked: (q, runId, scope) => display.note(formatQuestion(q, runId, scope, new Date())),
    settled: (q, _runId, scope, outcome) => display.note(formatSettled(q, scope, outcome)),
    problem: (m) => display.note(`warning: ${m}`),
  }, stop.signal).catch((e: Error) => {
    // An unknown run: the report's own error says so, once.
    if (isGrpcServiceError(e) && e.code === GRPC_NOT_FOUND) return;
    display.note(`warning: cannot follow ${workflowId}'s events (${e.message.split('\n')[0]}); waiting for its report`);
  });
  try {
    const report = await c.result<R>(workflowId);
    await Promise.race([watching, new Promise((resolve) => setTimeout(resolve, SETTLE_MS).unref())]);
    return report;
  } finally {
    stop.abort();
    clearInterval(ticking);
    await watching;
  }
}
