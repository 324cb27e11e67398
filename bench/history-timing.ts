// Where the time of a workflow run went, read from its history: in activities (started → completed),
// waiting for a worker to pick an activity up (scheduled → started), and the rest, which is the
// orchestration between steps (workflow tasks: the server, the worker's poll and the workflow code).
import type { temporal } from '@temporalio/proto';
import { tsToMs } from '@temporalio/common/lib/time';

export interface HistoryTiming {
  /** First event to last, as the server recorded them. */
  serverMs: number;
  activityMs: number;
  dispatchMs: number;
  orchestrationMs: number;
  activities: number;
  /** Each activity's started → closed, in the order they closed. */
  activityDurationsMs: number[];
  workflowTasks: number;
}

export function historyTiming(history: temporal.api.history.v1.IHistory): HistoryTiming {
  const events = history.events ?? [];
  const at = (e: temporal.api.history.v1.IHistoryEvent) => tsToMs(e.eventTime);
  const byId = new Map(events.map((e) => [Number(e.eventId), e]));
  let activityMs = 0;
  let dispatchMs = 0;
  let activities = 0;
  const activityDurationsMs: number[] = [];
  for (const e of events) {
    const done = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes;
    if (!done) continue;
    const started = byId.get(Number(done.startedEventId));
    const scheduled = byId.get(Number(done.scheduledEventId));
    if (!started || !scheduled) continue;
    activities++;
    activityDurationsMs.push(at(e) - at(started));
    activityMs += at(e) - at(started);
    dispatchMs += at(started) - at(scheduled);
  }
  const first = events[0];
  const last = events.at(-1);
  const serverMs = first && last ? at(last) - at(first) : 0;
  return {
    serverMs, activityMs, dispatchMs, orchestrationMs: serverMs - activityMs - dispatchMs, activities, activityDurationsMs,
    workflowTasks: events.filter((e) => e.workflowTaskCompletedEventAttributes).length,
  };
}

export interface FeatureTiming {
  /** Start of the run → first child initiated (the worktrees). */
  beforeChildrenMs: number;
  /** First child initiated → last child closed. */
  childrenMs: number;
  /** Last child closed → end of the run (commits, merges, one validation of the merged tree, the feature commit). */
  afterChildrenMs: number;
  /** Activity time by type after the children (scheduled → closed, summed). */
  afterByActivity: Record<string, number>;
}

/** Where a featureImplementor run's time went: before, during and after its children. */
export function featureTiming(history: temporal.api.history.v1.IHistory): FeatureTiming {
  const events = history.events ?? [];
  const at = (e: temporal.api.history.v1.IHistoryEvent | undefined) => (e ? tsToMs(e.eventTime) : NaN);
  const byId = new Map(events.map((e) => [Number(e.eventId), e]));
  const initiated = events.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes);
  const closed = events.filter((e) => e.childWorkflowExecutionCompletedEventAttributes ?? e.childWorkflowExecutionFailedEventAttributes
    ?? e.childWorkflowExecutionCanceledEventAttributes ?? e.childWorkflowExecutionTerminatedEventAttributes ?? e.childWorkflowExecutionTimedOutEventAttributes);
  const firstChild = at(initiated[0]);
  const lastChild = Math.max(...closed.map(at));
  const afterByActivity: Record<string, number> = {};
  for (const e of events) {
    const done = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes;
    const scheduled = done ? byId.get(Number(done.scheduledEventId)) : undefined;
    const name = scheduled?.activityTaskScheduledEventAttributes?.activityType?.name;
    if (!scheduled || !name || at(scheduled) < lastChild) continue;
    afterByActivity[name] = (afterByActivity[name] ?? 0) + at(e) - at(scheduled);
  }
  return {
    beforeChildrenMs: firstChild - at(events[0]),
    childrenMs: lastChild - firstChild,
    afterChildrenMs: at(events.at(-1)) - lastChild,
    afterByActivity,
  };
}
