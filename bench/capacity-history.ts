// What one run asked of the Temporal server, read back from the server itself: the histories of the
// root workflow and of every child it started (recursively), with, per workflow, the events, the
// payload bytes in them, the history size and state transitions DescribeWorkflowExecution reports,
// and the Temporal Cloud billable actions those events stand for.
//
// Billable actions follow Temporal Cloud's published definition (https://docs.temporal.io/cloud/actions):
// a workflow start 1 (a child's start is billed in its parent: 2 for StartChildWorkflowExecutionInitiated,
// the intent and the attempt), an activity scheduled 1 plus 1 per retry (attempt − 1 on its started
// event), a timer 1, a search attribute upsert 1, a signal 1, an accepted update 1, a workflow
// options update 1, a Nexus operation scheduled or cancel requested 1, and all markers (local
// activities) of one workflow task 1. Queries and activity heartbeats are billed too but leave no
// event: the server's `action` metric counts those (bench/capacity-metrics.ts).
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { HistoryEvent } from '../client/history';

const { EventType } = proto.temporal.api.enums.v1;

export interface RunHistory {
  workflows: number;
  events: number;
  /** Activities scheduled, by activity type. */
  activities: Record<string, number>;
  /** Events by type (EVENT_TYPE_ prefix cut), all workflows together. */
  eventsByType: Record<string, number>;
  /** Bytes of payload data (inputs, results, memo, search attributes, headers) in the events. */
  payloadBytes: number;
  /** DescribeWorkflowExecution's historySizeBytes, summed. */
  historyBytes: number;
  /** DescribeWorkflowExecution's stateTransitionCount, summed. */
  stateTransitions: number;
  /** Temporal Cloud billable actions visible in the histories, by kind. */
  billable: Record<string, number>;
  billableTotal: number;
}

/** Bytes of every Payload (an object with `data` bytes and a `metadata` map) under `node`. */
export function payloadBytes(node: unknown): number {
  if (node === null || typeof node !== 'object') return 0;
  if (node instanceof Uint8Array) return 0;
  if (Array.isArray(node)) return node.reduce<number>((n, x) => n + payloadBytes(x), 0);
  const o = node as Record<string, unknown>;
  if (o.data instanceof Uint8Array && o.metadata && typeof o.metadata === 'object') {
    const meta = Object.entries(o.metadata as Record<string, unknown>).reduce((n, [k, v]) => n + k.length + (v instanceof Uint8Array ? v.length : 0), 0);
    return o.data.length + meta;
  }
  return Object.values(o).reduce<number>((n, v) => n + payloadBytes(v), 0);
}

const add = (into: Record<string, number>, key: string, n = 1) => { if (n) into[key] = (into[key] ?? 0) + n; };

/** The billable actions of one workflow's events (see the header for the rules). */
export function billableActions(events: HistoryEvent[], isChild: boolean): Record<string, number> {
  const out: Record<string, number> = {};
  const markerTasks = new Set<string>();
  for (const e of events) {
    if (e.workflowExecutionStartedEventAttributes && !isChild) add(out, 'workflow started');
    if (e.startChildWorkflowExecutionInitiatedEventAttributes) add(out, 'child workflow started', 2);
    if (e.activityTaskScheduledEventAttributes) add(out, 'activity scheduled');
    if (e.activityTaskStartedEventAttributes) add(out, 'activity retried', Math.max(0, (e.activityTaskStartedEventAttributes.attempt ?? 1) - 1));
    if (e.timerStartedEventAttributes) add(out, 'timer started');
    if (e.upsertWorkflowSearchAttributesEventAttributes) add(out, 'search attributes upserted');
    if (e.workflowExecutionSignaledEventAttributes) add(out, 'signal');
    if (e.workflowExecutionUpdateAcceptedEventAttributes) add(out, 'update accepted');
    if (e.workflowExecutionOptionsUpdatedEventAttributes) add(out, 'workflow options updated');
    if (e.nexusOperationScheduledEventAttributes || e.nexusOperationCancelRequestedEventAttributes) add(out, 'nexus operation');
    if (e.markerRecordedEventAttributes) markerTasks.add(String(e.markerRecordedEventAttributes.workflowTaskCompletedEventId ?? e.eventId));
  }
  add(out, 'markers (one per workflow task)', markerTasks.size);
  return out;
}

/** Walks the root workflow and every child it started, depth first. */
export async function runHistory(client: Client, workflowId: string, runId?: string): Promise<RunHistory> {
  const total: RunHistory = { workflows: 0, events: 0, activities: {}, eventsByType: {}, payloadBytes: 0, historyBytes: 0, stateTransitions: 0, billable: {}, billableTotal: 0 };
  const visit = async (id: string, run: string | undefined, isChild: boolean): Promise<void> => {
    const handle = client.workflow.getHandle(id, run);
    const [history, description] = await Promise.all([handle.fetchHistory(), handle.describe()]);
    const events = history.events ?? [];
    const info = description.raw.workflowExecutionInfo;
    total.workflows += 1;
    total.events += events.length;
    total.payloadBytes += payloadBytes(events);
    total.historyBytes += Number(info?.historySizeBytes ?? 0);
    total.stateTransitions += Number(info?.stateTransitionCount ?? 0);
    for (const e of events) if (e.activityTaskScheduledEventAttributes) add(total.activities, e.activityTaskScheduledEventAttributes.activityType?.name ?? '?');
    for (const e of events) add(total.eventsByType, (EventType[e.eventType ?? 0] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, ''));
    for (const [k, n] of Object.entries(billableActions(events, isChild))) add(total.billable, k, n);
    for (const e of events) {
      const child = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
      if (child?.workflowId) await visit(child.workflowId, child.runId ?? undefined, true);
    }
  };
  await visit(workflowId, runId, false);
  total.billableTotal = Object.values(total.billable).reduce((a, b) => a + b, 0);
  return total;
}
