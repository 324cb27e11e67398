// What a run's history events say about its progress, as plain facts: the run started (with its
// scopes), its phase changed, a child started, reported its progress or closed, the run closed.
// Payloads are decoded with the client's data converter, so a payload codec (encryption) is
// honoured; search attributes are never encoded by a codec.
import { defaultPayloadConverter, type LoadedDataConverter, type Payload } from '@temporalio/common';
import { childWorkflowId, type FeatureInput } from '../core/feature';
import type { ImplementorInput, ImplementorReport, RunStatus } from '../core/schemas';
import { childProgressSignal, FEATURE_WORKFLOW, ImplementorPhaseKey, type RunProgress } from '../workflows/messages';
import type { HistoryEvent } from './history';
import { batchLine, type BatchResult } from '../core/agent';

/** A scope a run works on: the run itself (an implement run) or one of a feature's children. */
export interface ScopeRef {
  scope: string;
  workflowId: string;
}

export type RunFact =
  | { kind: 'started'; feature: boolean; scope: string; children: ScopeRef[] }
  | { kind: 'phase'; phase: string }
  /** An agent's tool calls of one turn ran: `Read apps/x.yaml · Validate: 2 failures`. */
  | { kind: 'tools'; line: string }
  | { kind: 'child-started'; workflowId: string }
  | { kind: 'child-progress'; progress: RunProgress }
  | { kind: 'child-closed'; workflowId: string; status: RunStatus }
  /** `status` is the report's, when the run completed with one. */
  | { kind: 'closed'; how: ClosedHow; status?: RunStatus };

export type ClosedHow = 'completed' | 'failed' | 'cancelled' | 'terminated' | 'timed out' | 'continued as new';

export class FactReader {
  /** Activity types by the id of the event that scheduled them: a completion names only that id. */
  private readonly scheduled = new Map<string, string>();

  constructor(private readonly converter: LoadedDataConverter, private readonly namespace: string, private readonly workflowId: string) {}

  /** The facts of one event, in the order they happened; most events say nothing about progress. */
  async read(e: HistoryEvent): Promise<RunFact[]> {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name === 'agentTools') this.scheduled.set(String(e.eventId), scheduled.activityType.name);
    const completed = e.activityTaskCompletedEventAttributes;
    if (completed && this.scheduled.get(String(completed.scheduledEventId)) === 'agentTools') {
      const [batch] = await this.decode(completed.result?.payloads);
      const results = (batch as Partial<BatchResult> | undefined)?.results;
      return Array.isArray(results) ? [{ kind: 'tools', line: batchLine(results) }] : [];
    }
    if (e.workflowExecutionStartedEventAttributes) {
      const type = e.workflowExecutionStartedEventAttributes.workflowType?.name ?? '';
      const [input] = await this.decode(e.workflowExecutionStartedEventAttributes.input?.payloads);
      return [started(this.workflowId, type, input)];
    }
    if (e.upsertWorkflowSearchAttributesEventAttributes) {
      const fields = e.upsertWorkflowSearchAttributesEventAttributes.searchAttributes?.indexedFields ?? {};
      // AwaitingHuman is not needed: children and their feature all carry it, and a run's phase
      // says when it asks itself.
      const phase = searchAttribute(fields[ImplementorPhaseKey.name]);
      return typeof phase === 'string' ? [{ kind: 'phase', phase }] : [];
    }
    const signaled = e.workflowExecutionSignaledEventAttributes;
    if (signaled?.signalName === childProgressSignal.name) {
      const [progress] = await this.decode(signaled.input?.payloads);
      return isProgress(progress) ? [{ kind: 'child-progress', progress }] : [];
    }
    if (e.childWorkflowExecutionStartedEventAttributes) {
      return [{ kind: 'child-started', workflowId: e.childWorkflowExecutionStartedEventAttributes.workflowExecution?.workflowId ?? '' }];
    }
    if (e.workflowExecutionCompletedEventAttributes) {
      const [report] = await this.decode(e.workflowExecutionCompletedEventAttributes.result?.payloads);
      const status = (report as Partial<ImplementorReport> | undefined)?.status;
      return [{ kind: 'closed', how: 'completed', ...(status ? { status } : {}) }];
    }
    return (await this.childClosed(e)) ?? runClosed(e);
  }

  private async childClosed(e: HistoryEvent): Promise<RunFact[] | undefined> {
    const completed = e.childWorkflowExecutionCompletedEventAttributes;
    if (completed) {
      const [report] = await this.decode(completed.result?.payloads);
      const status = (report as Partial<ImplementorReport> | undefined)?.status ?? 'failed';
      return [{ kind: 'child-closed', workflowId: completed.workflowExecution?.workflowId ?? '', status }];
    }
    const other = e.childWorkflowExecutionFailedEventAttributes ?? e.childWorkflowExecutionCanceledEventAttributes
      ?? e.childWorkflowExecutionTerminatedEventAttributes ?? e.childWorkflowExecutionTimedOutEventAttributes;
    return other ? [{ kind: 'child-closed', workflowId: other.workflowExecution?.workflowId ?? '', status: 'failed' }] : undefined;
  }

  private async decode(payloads: Payload[] | null | undefined): Promise<unknown[]> {
    if (!payloads?.length) return [];
    const context = { type: 'workflow' as const, namespace: this.namespace, workflowId: this.workflowId };
    let decoded = payloads;
    // Codecs encode in order and decode in reverse, as the SDK does.
    for (const codec of [...this.converter.payloadCodecs].reverse()) decoded = await codec.decode(decoded, context);
    return decoded.map((p) => this.converter.payloadConverter.fromPayload(p, context));
  }
}

/** The run's scope (or, for a feature, its scopes and their children's ids) from its input. */
function started(workflowId: string, type: string, input: unknown): RunFact {
  if (type === FEATURE_WORKFLOW) {
    const f = input as Partial<FeatureInput> | undefined;
    const children = (f?.scopes ?? []).map((s) => ({ scope: s.scope, workflowId: childWorkflowId(workflowId, s.slug) }));
    return { kind: 'started', feature: true, scope: f?.feature ?? workflowId, children };
  }
  return { kind: 'started', feature: false, scope: (input as Partial<ImplementorInput> | undefined)?.scope ?? workflowId, children: [] };
}

function runClosed(e: HistoryEvent): RunFact[] {
  const how: ClosedHow | undefined = e.workflowExecutionFailedEventAttributes ? 'failed'
      : e.workflowExecutionCanceledEventAttributes ? 'cancelled'
        : e.workflowExecutionTerminatedEventAttributes ? 'terminated'
          : e.workflowExecutionTimedOutEventAttributes ? 'timed out'
            : e.workflowExecutionContinuedAsNewEventAttributes ? 'continued as new' : undefined;
  return how ? [{ kind: 'closed', how }] : [];
}

/** Search attribute values are plain JSON payloads (metadata type aside). */
function searchAttribute(p: Payload | undefined): unknown {
  if (!p) return undefined;
  try {
    return defaultPayloadConverter.fromPayload(p);
  } catch {
    return undefined;
  }
}

function isProgress(v: unknown): v is RunProgress {
  const p = v as Partial<RunProgress> | null;
  return typeof p?.workflowId === 'string' && typeof p.phase === 'string' && typeof p.seq === 'number';
}
